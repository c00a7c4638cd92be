import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { EVENT_STORE, type EventStore, type ReadStreamOptions, type RecordedEvent } from '@fleet/event-store';
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

@Controller('devices')
export class DeviceHistoryHttpController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * The device's audit history, oldest first, read from its stream (the source of truth, never a
   * lagging copy); filters by event type, actor and time; `nextCursor` continues after a page. The
   * store applies the filters, so only the entries of the page are read and parsed.
   */
  @Get(':id/history')
  @Roles('admin', 'operator', 'support', 'viewer')
  async history(
    @Param('id') deviceId: string,
    @Query() rawQuery: unknown,
  ): Promise<{ deviceId: string; entries: HistoryEntry[]; nextCursor: string | null }> {
    const query = parseBody(historyQuery, rawQuery);
    const stream = deviceStream(deviceId);
    const fromRevision = BigInt(query.cursor ?? 0);
    const filters: ReadStreamOptions = {
      types: query.type,
      actorId: query.actor,
      occurredFrom: query.from,
      occurredTo: query.to,
    };
    const filtered = Object.values(filters).some((value) => value !== undefined);
    // One event more than the page tells whether there is a next page.
    const events = await this.store.readStream(stream, {
      ...filters,
      fromRevision,
      maxCount: query.limit + 1,
    });
    if (events.length === 0) {
      // Nothing at all from revision 0 means no stream; after a cursor or a filter it may just
      // mean no more matches, which a one-event read tells apart.
      const wholeStream = !filtered && fromRevision === 0n;
      if (wholeStream || !(await this.exists(stream)))
        throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
    }
    const page = events.slice(0, query.limit);
    const last = page.at(-1);
    return {
      deviceId,
      entries: page.map(toEntry),
      nextCursor: events.length > query.limit && last ? String(last.revision + 1n) : null,
    };
  }

  private async exists(stream: string): Promise<boolean> {
    return (await this.store.readStream(stream, { maxCount: 1 })).length > 0;
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
