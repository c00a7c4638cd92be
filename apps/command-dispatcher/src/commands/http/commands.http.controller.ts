import { randomUUID } from 'node:crypto';
import { CurrentActor, Roles } from '@fleet/auth';
import { ConflictError, NotFoundError, ValidationError, type Actor } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import { commandBody, operationRequestOf } from '../command-request';
import { commandView, type CommandView } from '../command-view';
import { CommandService } from '../request-command/command-service';
import { CommandLedger } from '../store/command-ledger';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
const cancelBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

function commandIdOf(id: string): string {
  if (!UUID.test(id)) throw new NotFoundError(`command ${id} does not exist`, { commandId: id });
  return id;
}

/** CRUDEN on one device: request a command, follow it, list a device's commands, cancel. */
@Controller()
export class CommandsHttpController {
  constructor(
    private readonly commands: CommandService,
    private readonly ledger: CommandLedger,
    private readonly devices: DeviceDirectory,
  ) {}

  /** 202 with the queued command; 409 when a safety gate refuses it (the refusal is recorded). */
  @Post('devices/:id/commands')
  @HttpCode(202)
  @Roles('admin', 'operator')
  async request(
    @Param('id') deviceId: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<CommandView> {
    const parsed = parseBody(commandBody, body);
    const metadata = commandMetadata({ actor, reason: parsed.reason ?? null, correlationId });
    const { command, refusal } = await this.commands.request({
      deviceId,
      operation: operationRequestOf(parsed),
      origin: 'operator',
      metadata,
      commandId: randomUUID(),
      timeToLiveSeconds: parsed.timeToLiveSeconds,
      maxAttempts: parsed.maxAttempts,
    });
    if (refusal) {
      throw new ConflictError(refusal.reason, { commandId: command.request.commandId, gate: refusal.gate });
    }
    return commandView(command);
  }

  @Get('commands/:id')
  @Roles('admin', 'operator', 'support', 'viewer')
  async get(@Param('id') id: string): Promise<CommandView> {
    const row = await this.ledger.rows.find(commandIdOf(id));
    if (!row) throw new NotFoundError(`command ${id} does not exist`, { commandId: id });
    return commandView(row.state, row.updatedAt);
  }

  @Get('devices/:id/commands')
  @Roles('admin', 'operator', 'support', 'viewer')
  async list(@Param('id') deviceId: string, @Query() query: Record<string, unknown>) {
    const parsed = pageQuery.safeParse(query);
    if (!parsed.success)
      throw new ValidationError(
        `query: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    if (!(await this.devices.find(deviceId)))
      throw new NotFoundError(`device ${deviceId} does not exist`, { deviceId });
    const page = await this.ledger.rows.listForDevice(
      deviceId,
      parsed.data.limit,
      parsed.data.cursor ?? null,
    );
    return { items: page.items.map((r) => commandView(r.state, r.updatedAt)), nextCursor: page.nextCursor };
  }

  @Post('commands/:id/cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async cancel(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<CommandView> {
    const { reason } = parseBody(cancelBody, body ?? {});
    const commandId = commandIdOf(id);
    const row = await this.ledger.rows.find(commandId);
    if (!row) throw new NotFoundError(`command ${id} does not exist`, { commandId: id });
    const { state } = await this.ledger.decide({
      commandId,
      known: row.state,
      metadata: commandMetadata({ actor, reason: reason ?? null, correlationId }),
      command: { type: 'CancelCommand' },
    });
    return commandView(state as typeof row.state);
  }
}
