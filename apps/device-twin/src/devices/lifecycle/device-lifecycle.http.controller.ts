import type { Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import type { DeviceCommand } from '../device.decide';
import { lifecycleBody, parseIfMatch, type RequestHeaders } from '../http/http-conventions';
import { ReadYourWrites } from '../http/read-your-writes';

type LifecycleCommand = Extract<
  DeviceCommand,
  { type: 'ActivateDevice' | 'SuspendDevice' | 'ResumeDevice' | 'QuarantineDevice' | 'DecommissionDevice' }
>['type'];

/**
 * Lifecycle transitions. Suspending, quarantining and decommissioning must say why: the reason
 * is what support staff read in the history.
 */
@Controller('devices/:id')
export class DeviceLifecycleHttpController {
  constructor(
    private readonly commands: DeviceCommandHandler,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Post('activate')
  @HttpCode(200)
  @Roles('admin', 'operator')
  activate(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: RequestHeaders,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('ActivateDevice', false, id, body, actor, h, res);
  }

  @Post('suspend')
  @HttpCode(200)
  @Roles('admin', 'operator')
  suspend(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: RequestHeaders,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('SuspendDevice', true, id, body, actor, h, res);
  }

  @Post('resume')
  @HttpCode(200)
  @Roles('admin', 'operator')
  resume(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: RequestHeaders,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('ResumeDevice', false, id, body, actor, h, res);
  }

  /** Telemetry is still accepted; commands and campaigns are blocked until resumed. */
  @Post('quarantine')
  @HttpCode(200)
  @Roles('admin', 'operator')
  quarantine(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: RequestHeaders,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('QuarantineDevice', true, id, body, actor, h, res);
  }

  /** Revokes the credentials; the identity stays retired (tombstone) unless an admin re-enrols it. */
  @Post('decommission')
  @HttpCode(200)
  @Roles('admin', 'operator')
  decommission(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: RequestHeaders,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('DecommissionDevice', true, id, body, actor, h, res);
  }

  private async transition(
    type: LifecycleCommand,
    reasonRequired: boolean,
    deviceId: string,
    body: unknown,
    actor: Actor,
    headers: RequestHeaders,
    response: Response,
  ) {
    const { reason } = parseBody(lifecycleBody(reasonRequired), body ?? {});
    const outcome = await this.commands.execute(
      { type, deviceId, expectedVersion: parseIfMatch(headers['if-match']) },
      commandMetadata({ actor, reason: reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    return this.readYourWrites.twinAt(response, deviceId, outcome.version);
  }
}
