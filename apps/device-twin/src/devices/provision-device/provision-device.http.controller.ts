import type { Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadYourWrites } from '../http/read-your-writes';
import { ProvisionDeviceHandler } from './provision-device.handler';
import { provisionDeviceRequest } from './provision-device.request';

@Controller('devices')
export class ProvisionDeviceHttpController {
  constructor(
    private readonly handler: ProvisionDeviceHandler,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /**
   * Provisions a device: 201 with the twin and the credential's one-time secret (or AppKey);
   * 200 with the existing twin when the serial is already provisioned (idempotent by serial);
   * 202 when the read model lags behind.
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
    const outcome = await this.handler.handle(
      request,
      commandMetadata({ actor, reason: request.reason ?? null, correlationId }),
    );
    response.location(`/devices/${encodeURIComponent(outcome.deviceId)}`);
    if (!outcome.created) response.status(200);
    const twin = await this.readYourWrites.twinAt(response, outcome.deviceId, outcome.version);
    return {
      ...twin,
      created: outcome.created,
      ...(outcome.oneTime && Object.keys(outcome.oneTime).length > 0
        ? { oneTimeCredentials: { ...outcome.oneTime, notice: 'shown once; store it in the device now' } }
        : {}),
    };
  }
}
