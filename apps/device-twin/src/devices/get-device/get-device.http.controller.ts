import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { TWIN_STORE, type DeviceTwin, type TwinStore } from '../twin/twin';

@Controller('devices')
export class GetDeviceHttpController {
  constructor(@Inject(TWIN_STORE) private readonly twins: TwinStore) {}

  /** The device's twin; its version is the ETag for conditional updates. */
  @Get(':id')
  @Roles('admin', 'operator', 'support', 'viewer')
  async get(
    @Param('id') deviceId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeviceTwin> {
    const twin = await this.twins.find(deviceId);
    if (!twin) throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
    response.setHeader('ETag', `"${twin.version}"`);
    return twin;
  }
}
