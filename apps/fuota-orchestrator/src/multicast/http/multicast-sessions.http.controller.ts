import { CurrentActor, Roles } from '@fleet/auth';
import type { Actor } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { MulticastSessions } from '../run-session/multicast-sessions.service';
import type { SessionView } from '../session-view';
import { sessionRequestBody } from './session-request';

/** LoRaWAN multicast firmware sessions: plan and start one, follow it device by device. */
@Controller('multicast-sessions')
export class MulticastSessionsHttpController {
  constructor(private readonly sessions: MulticastSessions) {}

  /** 201 with the planned session; 422 with the reasons when the plan or the devices are refused. */
  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async create(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<SessionView> {
    const request = parseBody(sessionRequestBody, body);
    return this.sessions.create(
      request,
      commandMetadata({ actor, reason: request.reason ?? null, correlationId }),
    );
  }

  @Get(':id')
  @Roles('admin', 'operator', 'support', 'viewer')
  async get(@Param('id') id: string): Promise<SessionView> {
    return this.sessions.view(id);
  }
}
