import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@fleet/event-store';
import { parseBody } from '@fleet/observability';
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { deviceStream } from '../device';
import { redactSecrets } from './redact-secrets';

/** One entry of a device's audit history: what happened, who did it, why and when. */
export interface HistoryEntry {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly reason: string | null;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: Record<string, unknown>;
}

const repeatable = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const historyQuery = z
  .object({
    type: repeatable.optional(),
    actor: z.string().min(1).max(256).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, 'a nextCursor value from a previous page')
      .optional(),
  })
  .strict();

const PAGE = 1_000;

@Controller('devices')
export class DeviceHistoryHttpController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * The device's audit history, oldest first, read from its stream (the source of truth, never a
   * lagging copy); filters by event type, actor and time; `nextCursor` continues after a page.
   */
  @Get(':id/history')
  @Roles('admin', 'operator', 'support', 'viewer')
  async history(
    @Param('id') deviceId: string,
    @Query() rawQuery: unknown,
  ): Promise<{ deviceId: string; entries: HistoryEntry[]; nextCursor: string | null }> {
    const query = parseBody(historyQuery, rawQuery);
    const from = query.from ? Date.parse(query.from) : -Infinity;
    const to = query.to ? Date.parse(query.to) : Infinity;
    const matches = (e: RecordedEvent) => {
      const at = Date.parse(e.metadata.occurredAt);
      return (
        (!query.type || query.type.includes(e.type)) &&
        (!query.actor || e.metadata.actor.id === query.actor) &&
        at >= from &&
        at <= to
      );
    };
    const entries: HistoryEntry[] = [];
    let revision = BigInt(query.cursor ?? 0);
    for (;;) {
      const page = await this.store.readStream(deviceStream(deviceId), {
        fromRevision: revision,
        maxCount: PAGE,
      });
      if (page.length === 0 && revision === 0n)
        throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
      for (const event of page) {
        revision = event.revision + 1n;
        // Events are in time order, so nothing after `to` can match.
        if (Date.parse(event.metadata.occurredAt) > to) return { deviceId, entries, nextCursor: null };
        if (!matches(event)) continue;
        entries.push(toEntry(event));
        if (entries.length === query.limit) return { deviceId, entries, nextCursor: String(revision) };
      }
      if (page.length < PAGE) return { deviceId, entries, nextCursor: null };
    }
  }
}

function toEntry(e: RecordedEvent): HistoryEntry {
  return {
    eventId: e.id,
    type: e.type,
    version: Number(e.revision) + 1,
    occurredAt: e.metadata.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.metadata.actor,
    reason: e.metadata.reason,
    correlationId: e.metadata.correlationId,
    causationId: e.metadata.causationId,
    data: redactSecrets(e.data),
  };
}
