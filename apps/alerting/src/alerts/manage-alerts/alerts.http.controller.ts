import { CurrentActor, Roles } from '@fleet/auth';
import { ConcurrencyError, NotFoundError, type Actor } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { Metrics, parseBody, parseInput } from '@fleet/observability';
import { commandMetadata, PG_POOL } from '@fleet/platform';
import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { Pool } from 'pg';
import { z } from 'zod';
import { SEVERITIES } from '../../rules/rule';
import { AlertStateStore } from '../../storage/postgres/alert-state.store';
import { TABLES } from '../../storage/postgres/tables';
import { inTransaction } from '../../storage/postgres/transaction';
import { alertStream, type AlertState } from '../alert';
import { alertDecider, type AlertCommand } from '../alert.decide';
import { AlertViews, type AlertView } from '../alert-view/alert-view';

const READERS = ['admin', 'operator', 'support', 'viewer'] as const;
const STATUS = {
  open: ['open'],
  acknowledged: ['acknowledged'],
  cleared: ['cleared'],
  active: ['open', 'acknowledged'],
} as const;

const listQuery = z
  .object({
    status: z.enum(['open', 'acknowledged', 'cleared', 'active']).optional(),
    severity: z.enum(SEVERITIES).optional(),
    ruleId: z.string().min(1).max(128).optional(),
    deviceId: z.string().min(1).max(256).optional(),
    subject: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const acknowledgeBody = z.object({ note: z.string().trim().min(1).max(2_000).optional() }).strict();
const clearBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

/** Alerts: list and read (read model), acknowledge and clear (the alert's stream). */
@Controller('alerts')
export class AlertsHttpController {
  private readonly views: AlertViews;
  private readonly alertState = new AlertStateStore(TABLES.alertState);

  private readonly cleared;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    metrics: Metrics,
  ) {
    this.views = new AlertViews(pool);
    // The same series the evaluator counts automatic clears in.
    this.cleared = metrics.counter('fleet_alerting_alerts_cleared_total', 'Alerts cleared', ['how']);
  }

  @Get()
  @Roles(...READERS)
  async list(
    @Query() query: Record<string, unknown>,
  ): Promise<{ items: AlertView[]; nextCursor: string | null }> {
    const q = parseInput(listQuery, { ...query }, 'query string');
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const items = await this.views.list({
      ...(q.status ? { status: STATUS[q.status] } : {}),
      ...(q.severity ? { severity: q.severity } : {}),
      ...(q.ruleId ? { ruleId: q.ruleId } : {}),
      ...(q.deviceId ? { deviceId: q.deviceId } : {}),
      ...(q.subject ? { subject: q.subject } : {}),
      ...(after ? { after } : {}),
      limit: q.limit,
    });
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        items.length === q.limit && last
          ? Buffer.from(JSON.stringify({ r: last.raisedAt, id: last.alertId })).toString('base64url')
          : null,
    };
  }

  @Get(':id')
  @Roles(...READERS)
  async get(@Param('id') id: string): Promise<AlertView> {
    const view = await this.views.find(id);
    if (!view) throw new NotFoundError(`alert ${id} not found`, { alertId: id });
    return view;
  }

  /** The alert's events: raised, acknowledged (by whom, with a note), escalated, cleared. */
  @Get(':id/history')
  @Roles(...READERS)
  async history(@Param('id') id: string) {
    const events = await this.store.readStream(alertStream(id));
    if (events.length === 0) throw new NotFoundError(`alert ${id} not found`, { alertId: id });
    return {
      items: events.map((e) => ({
        type: e.type,
        version: Number(e.revision) + 1,
        occurredAt: e.metadata.occurredAt,
        actor: e.metadata.actor,
        reason: e.metadata.reason,
        correlationId: e.metadata.correlationId,
        data: e.data,
      })),
    };
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles('admin', 'operator', 'support')
  async acknowledge(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: Record<string, string>,
  ) {
    const { note } = parseBody(acknowledgeBody, body ?? {});
    const state = await this.decide(
      { type: 'AcknowledgeAlert', alertId: id, by: actor.id, note: note ?? null },
      actor,
      note ?? null,
      h['x-correlation-id'],
    );
    return summary(state);
  }

  /** Clearing by hand while the condition still holds latches the rule: no new alert until it ends. */
  @Post(':id/clear')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async clear(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: Record<string, string>,
  ) {
    const { reason } = parseBody(clearBody, body ?? {});
    const state = await this.decide(
      {
        type: 'ClearAlert',
        alertId: id,
        by: actor.id,
        automatic: false,
        observedAt: null,
        value: null,
        message: null,
      },
      actor,
      reason,
      h['x-correlation-id'],
    );
    await inTransaction(this.pool, (tx) => this.alertState.latch(tx, id));
    if (state.status === 'cleared') this.cleared.inc({ how: 'operator' });
    return summary(state);
  }

  private async decide(
    command: AlertCommand,
    actor: Actor,
    reason: string | null,
    correlationId?: string,
  ): Promise<AlertState> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { state } = await handleCommand(
          this.store,
          alertStream(command.alertId),
          alertDecider,
          command,
          commandMetadata({ actor, reason, correlationId }),
        );
        return state;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 3) throw error;
      }
    }
  }
}

function summary(state: AlertState) {
  if (state.status === 'none') throw new NotFoundError('alert not found');
  return {
    alertId: state.alertId,
    ruleId: state.ruleId,
    deviceId: state.deviceId,
    subject: state.subject,
    severity: state.severity,
    status: state.status,
    acknowledgedBy: state.acknowledgedBy,
    note: state.note,
    clearedBy: state.clearedBy,
    version: state.version,
  };
}

function decodeCursor(cursor: string): { raisedAt: string; alertId: string } {
  try {
    const { r, id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      r: string;
      id: string;
    };
    if (typeof r === 'string' && typeof id === 'string' && Number.isFinite(Date.parse(r)))
      return { raisedAt: r, alertId: id };
  } catch {
    // falls through to the validation error
  }
  return parseInput(z.never({ error: 'not a nextCursor of a previous page' }), cursor, 'cursor');
}
