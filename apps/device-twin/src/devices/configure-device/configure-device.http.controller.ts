import type { Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, Param, Patch, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import { parseIfMatch, type RequestHeaders } from '../http/http-conventions';
import { ReadYourWrites } from '../http/read-your-writes';
import { configureDeviceRequest, flattenDesired, labelsRequest } from './configure-device.request';

@Controller('devices/:id')
export class ConfigureDeviceHttpController {
  constructor(
    private readonly commands: DeviceCommandHandler,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /**
   * Changes the desired configuration; the device catches up when it next connects and the twin's
   * `delta` shows what it has not applied yet. `If-Match: "<version>"` guards against lost updates.
   */
  @Patch('desired')
  @Roles('admin', 'operator')
  async configure(
    @Param('id') deviceId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ) {
    const request = parseBody(configureDeviceRequest, body);
    const outcome = await this.commands.execute(
      {
        type: 'ChangeDesiredConfiguration',
        deviceId,
        expectedVersion: parseIfMatch(headers['if-match']),
        changes: flattenDesired(request.desired),
        jobId: null,
      },
      commandMetadata({ actor, reason: request.reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    return this.readYourWrites.twinAt(response, deviceId, outcome.version);
  }

  /** Replaces tags (static groups) and/or attributes. */
  @Patch('labels')
  @Roles('admin', 'operator')
  async label(
    @Param('id') deviceId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ) {
    const request = parseBody(labelsRequest, body);
    const outcome = await this.commands.execute(
      {
        type: 'ChangeLabels',
        deviceId,
        expectedVersion: parseIfMatch(headers['if-match']),
        ...(request.tags ? { tags: request.tags } : {}),
        ...(request.attributes ? { attributes: request.attributes } : {}),
      },
      commandMetadata({ actor, reason: request.reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    return this.readYourWrites.twinAt(response, deviceId, outcome.version);
  }
}
