import type { EventMetadata } from '@fleet/core';

/** Expected state of a stream for an append (optimistic concurrency). */
export type ExpectedRevision =
  /** Append whatever the stream's state. */
  | 'any'
  /** The stream must not exist yet. */
  | 'no_stream'
  /** The stream must exist, at any revision. */
  | 'stream_exists'
  /** The stream's last event must have exactly this revision (0-based). */
  | bigint;

/** An event to append; `id` is chosen by the caller so that retries are recognisable. */
export interface EventToAppend {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata;
}

/**
 * Position in the store's global log. Comparable within one store only: `commit` orders
 * transactions (PostgreSQL: the writing transaction id; EventStoreDB: commit position) and
 * `prepare` orders events within one (PostgreSQL: sequence number; EventStoreDB: prepare position).
 */
export interface GlobalPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export interface RecordedEvent extends EventToAppend {
  readonly stream: string;
  /** 0-based position of the event in its stream. */
  readonly revision: bigint;
  readonly position: GlobalPosition;
  /** When the store recorded it (ISO-8601). */
  readonly recordedAt: string;
}

export interface AppendResult {
  /** Revision of the last appended event; use it as the expected revision of the next append. */
  readonly nextExpectedRevision: bigint;
  readonly position: GlobalPosition;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive); default 0. */
  readonly fromRevision?: bigint;
  /** Maximum number of events; default: all. */
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events strictly after this position; default: from the beginning. */
  readonly after?: GlobalPosition;
  /** Maximum number of events; default 1000. */
  readonly maxCount?: number;
  /** Only streams whose name starts with one of these prefixes (e.g. `device-`); default: all. */
  readonly streamPrefixes?: readonly string[];
}

/** Handles one event of a subscription; the checkpoint moves past it only once this resolves. */
export type EventHandler = (event: RecordedEvent) => Promise<void>;

/**
 * Handles a batch: a run of consecutive events of the subscription in global order, at most
 * `batchSize` of them, never empty. The checkpoint moves past the batch only once this resolves;
 * when it rejects, the same batch (same events, same order) is retried whole after a backoff and
 * nothing after it is delivered meanwhile, so a batch handler must tolerate seeing an event again.
 */
export type BatchHandler = (events: readonly RecordedEvent[]) => Promise<void>;

/** What every subscription is given besides its handler. */
export interface SubscribeCommonOptions {
  /** Durable name; the checkpoint is stored under it and the subscription resumes after it. */
  readonly subscriptionId: string;
  readonly streamPrefixes?: readonly string[];
  /** Events fetched per round trip, and the largest batch a `batchHandler` is given; default 500. */
  readonly batchSize?: number;
  /** Called when the handler or the store fails; the subscription retries after a backoff. */
  readonly onError?: (error: unknown) => void;
}

/** Exactly one of `handler` (event by event) and `batchHandler` (a batch at a time). */
export type SubscribeOptions = SubscribeCommonOptions &
  (
    | { readonly handler: EventHandler; readonly batchHandler?: never }
    | { readonly batchHandler: BatchHandler; readonly handler?: never }
  );

/** A running catch-up subscription. */
export interface Subscription {
  /** Position of the last event handled and checkpointed, if any. */
  readonly checkpoint: GlobalPosition | undefined;
  /** Resolves once every event committed before this call has been handled. */
  caughtUp(): Promise<void>;
  /** Finish the event (or batch) in flight, persist the checkpoint, stop. */
  stop(): Promise<void>;
}

/**
 * The source of truth: append-only streams with optimistic concurrency, a global log readable
 * in commit order, and catch-up subscriptions with persisted checkpoints that never skip an event.
 */
export interface EventStore {
  /** @throws ConcurrencyError when `expected` does not match the stream's state. */
  append(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in global (commit) order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Starts a catch-up subscription from its persisted checkpoint (or the beginning). */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stored checkpoint of a subscription, if any. */
  readCheckpoint(subscriptionId: string): Promise<GlobalPosition | undefined>;
  /** Whether the store answers; used by readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
