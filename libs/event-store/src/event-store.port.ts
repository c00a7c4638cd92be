import type { ConcurrencyError, EventMetadata } from '@fleet/core';

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

/** One append of {@link EventStore.appendMany}. */
export interface StreamAppend {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
}

/** How one append of a batch went: appended, or refused because the stream was not as expected. */
export type AppendOutcome =
  | { readonly ok: true; readonly result: AppendResult }
  | { readonly ok: false; readonly error: ConcurrencyError };

export interface AppendResult {
  /** Revision of the last appended event; use it as the expected revision of the next append. */
  readonly nextExpectedRevision: bigint;
  readonly position: GlobalPosition;
}

/**
 * Which events of a stream to read. The filters (`types`, `actorId`, `occurredFrom`, `occurredTo`)
 * are applied by the store and all of them must hold; an event that fails one is skipped, not
 * returned. Returned events keep their own revisions, so a filtered read may have gaps between
 * revisions: continue it from the last returned revision + 1.
 */
export interface ReadStreamOptions {
  /** First revision to read (inclusive); default 0. */
  readonly fromRevision?: bigint;
  /**
   * Maximum number of events; default: all. With filters it counts matching events: the read goes
   * past events that do not match until it has `maxCount` matches or reaches the end of the stream.
   */
  readonly maxCount?: number;
  /** Only events whose type is one of these; default (or an empty array): any type. */
  readonly types?: readonly string[];
  /** Only events whose `metadata.actor.id` equals this. */
  readonly actorId?: string;
  /**
   * Only events whose `metadata.occurredAt` is at or after this ISO-8601 instant (inclusive;
   * compared as instants to the millisecond, whatever the offsets).
   * @throws ValidationError (from `readStream`) when it is not a valid instant; so does `occurredTo`.
   */
  readonly occurredFrom?: string;
  /** Only events whose `metadata.occurredAt` is at or before this ISO-8601 instant (inclusive). */
  readonly occurredTo?: string;
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
  /**
   * Appends to many streams at once, each with its own expected revision: an append whose stream is
   * not as expected is refused (its outcome says so) without affecting the others. The PostgreSQL
   * adapter writes the batch in one transaction (one commit for all); outcomes keep the input order.
   * @throws anything but a concurrency conflict, in which case nothing of the batch may be stored
   */
  appendMany(appends: readonly StreamAppend[]): Promise<AppendOutcome[]>;
  /**
   * Events of one stream in revision order, optionally filtered (see `ReadStreamOptions`); an empty
   * array when the stream does not exist, or when nothing matches: an existence check is then a read
   * without filters and `maxCount: 1`.
   */
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
