import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import type { MulticastSessionEvent } from '../multicast-session';
import type { MulticastSessionSink, RecordedSessionEvent } from './session-event-sink.port';

export const multicastStream = (sessionId: string): string => `multicast-${sessionId}`;

/**
 * Sessions' events in the event store, one stream each, appended with optimistic concurrency:
 * one runner owns a session, so a conflict means another replica took it over and this one must stop.
 */
@Injectable()
export class EventStoreSessionSink implements MulticastSessionSink {
  /** Last revision appended per session (absent: the stream does not exist yet). */
  private readonly revisions = new Map<string, bigint>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async record(sessionId: string, events: readonly RecordedSessionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const stream = multicastStream(sessionId);
    const expected = this.revisions.get(sessionId) ?? 'no_stream';
    const result = await this.store.append(
      stream,
      events.map(({ id, event, metadata }) => ({ id, type: event.type, data: { ...event.data }, metadata })),
      expected,
    );
    this.revisions.set(sessionId, result.nextExpectedRevision);
    if (events.some((e) => e.event.type === 'MulticastSessionFinished')) this.revisions.delete(sessionId);
  }

  async load(sessionId: string): Promise<MulticastSessionEvent[]> {
    const recorded = await this.store.readStream(multicastStream(sessionId));
    return recorded.map((e) => ({ type: e.type, data: e.data }) as MulticastSessionEvent);
  }
}
