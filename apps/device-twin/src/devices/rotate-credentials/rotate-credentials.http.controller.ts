import type { Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { parseIfMatch, reason, type RequestHeaders } from '../http/http-conventions';
import { ReadYourWrites } from '../http/read-your-writes';
import { credentialsRequest } from '../provision-device/provision-device.request';
import { RotateCredentialsHandler } from './rotate-credentials.handler';

const credentialChangeBody = z.object({ credentials: credentialsRequest.optional(), reason }).strict();

@Controller('devices/:id')
export class RotateCredentialsHttpController {
  constructor(
    private readonly handler: RotateCredentialsHandler,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /** Issues a new credential; the old one stops working. The new secret is shown once. */
  @Post('credentials/rotate')
  @HttpCode(200)
  @Roles('admin', 'operator')
  rotate(
    @Param('id') deviceId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.change('RotateCredentials', deviceId, body, actor, headers, response);
  }

  /** Lifts a decommissioned device's tombstone with new credentials; admins only. */
  @Post('re-enrol')
  @HttpCode(200)
  @Roles('admin')
  reEnrol(
    @Param('id') deviceId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.change('ReEnrolDevice', deviceId, body, actor, headers, response);
  }

  private async change(
    type: 'RotateCredentials' | 'ReEnrolDevice',
    deviceId: string,
    body: unknown,
    actor: Actor,
    headers: RequestHeaders,
    response: Response,
  ) {
    const request = parseBody(credentialChangeBody, body);
    const outcome = await this.handler.handle(
      type,
      deviceId,
      request.credentials,
      parseIfMatch(headers['if-match']),
      commandMetadata({ actor, reason: request.reason, correlationId: headers['x-correlation-id'] }),
    );
    const twin = await this.readYourWrites.twinAt(response, deviceId, outcome.version);
    return Object.keys(outcome.oneTime).length > 0
      ? {
          ...twin,
          oneTimeCredentials: { ...outcome.oneTime, notice: 'shown once; store it in the device now' },
        }
      : twin;
  }
}
