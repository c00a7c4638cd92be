import type { Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { TwinProjection } from '../twin/twin-projection';
import { TWIN_STORE, type TwinStore } from '../twin/twin';
import { ProvisionDeviceHandler } from './provision-device.handler';
import { provisionDeviceRequest } from './provision-device.request';

@Controller('devices')
export class ProvisionDeviceHttpController {
  constructor(
    private readonly handler: ProvisionDeviceHandler,
    private readonly projection: TwinProjection,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
  ) {}

  /**
   * Provisions a device. Answers 201 with the twin once the read model shows it (read your
   * writes), or 202 with its id and version when the projection lags behind.
   */
  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async provision(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<unknown> {
    const request = parseBody(provisionDeviceRequest, body);
    const { deviceId, version } = await this.handler.handle(
      request,
      commandMetadata({ actor, reason: request.reason ?? null, correlationId }),
    );
    response.location(`/devices/${encodeURIComponent(deviceId)}`).setHeader('ETag', `"${version}"`);
    if (await this.projection.waitFor(deviceId, version)) return this.twins.find(deviceId);
    response.status(202);
    return { deviceId, version, status: 'accepted' };
  }
}
