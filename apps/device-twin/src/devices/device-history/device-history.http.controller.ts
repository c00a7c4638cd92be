import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { deviceStream } from '../device';

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

@Controller('devices')
export class DeviceHistoryHttpController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Read straight from the device's stream: the source of truth, never a lagging copy. */
  @Get(':id/history')
  @Roles('admin', 'operator', 'support', 'viewer')
  async history(@Param('id') deviceId: string): Promise<{ deviceId: string; entries: HistoryEntry[] }> {
    const events = await this.store.readStream(deviceStream(deviceId));
    if (events.length === 0) throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
    return {
      deviceId,
      entries: events.map((e) => ({
        eventId: e.id,
        type: e.type,
        version: Number(e.revision) + 1,
        occurredAt: e.metadata.occurredAt,
        recordedAt: e.recordedAt,
        actor: e.metadata.actor,
        reason: e.metadata.reason,
        correlationId: e.metadata.correlationId,
        causationId: e.metadata.causationId,
        data: e.data,
      })),
    };
  }
}
