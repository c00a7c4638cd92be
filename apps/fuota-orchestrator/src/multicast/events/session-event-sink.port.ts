import type { EventMetadata } from '@fleet/core';
import type { MulticastSessionEvent } from '../multicast-session';

/** One decided event, with its id (retries recognisable) and who, why and when. */
export interface RecordedSessionEvent {
  readonly id: string;
  readonly event: MulticastSessionEvent;
  readonly metadata: EventMetadata;
}

export const MULTICAST_SESSION_SINK = Symbol('MULTICAST_SESSION_SINK');

/**
 * Where a session's events go, in order, before their downlinks are sent. The default appends to
 * the stream `multicast-<sessionId>`; a campaign running multicast waves can give its own, e.g.
 * appending them to `campaign-<id>` (the events carry the session id and device ids).
 */
export interface MulticastSessionSink {
  /** @throws when the events could not be stored: the session stops rather than act unrecorded */
  record(sessionId: string, events: readonly RecordedSessionEvent[]): Promise<void>;
  /** Every event of a session, in order (empty when unknown): its state is their fold. */
  load(sessionId: string): Promise<MulticastSessionEvent[]>;
}
