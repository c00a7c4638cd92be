import {
  START,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import type {
  BatchHandler,
  EventHandler,
  GlobalPosition,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { backoffDelay } from '@fleet/core';
import { type Delivery, subscriptionDelivery } from '../shared/delivery';
import { Waker } from '../shared/retry';

/** What a subscription needs from its store. */
export interface EsdbSubscriptionSource {
  readonly client: EventStoreDBClient;
  /** Streams excluded server-side besides system streams (the checkpoint streams). */
  readonly hiddenStreamPrefix: string;
  isVisible(event: AllStreamRecordedEvent): boolean;
  toRecordedEvent(event: AllStreamRecordedEvent): RecordedEvent;
  /** Position of the newest event in `$all`, system events included. */
  lastPosition(): Promise<GlobalPosition | undefined>;
  /** Whether an event this subscription would see lies after `after` and at or before `until`. */
  pending(after: GlobalPosition | undefined, until: GlobalPosition): Promise<boolean>;
  writeCheckpoint(position: GlobalPosition): Promise<void>;
  stopped(): void;
}

/** Persist after this many handled events or this long after the first unpersisted one. */
const CHECKPOINT_EVERY_EVENTS = 100;
const CHECKPOINT_EVERY_MS = 1_000;
const CAUGHT_UP_POLL_MS = 100;
/** A batch that is not full yet is handed over once no event came for this long... */
const BATCH_IDLE_MS = 20;
/** ...or at the latest this long after its first event, so that a slow trickle is not held back. */
const BATCH_MAX_WAIT_MS = 200;

/**
 * Catch-up subscription on `$all`. At-least-once: the checkpoint is persisted every
 * {@link CHECKPOINT_EVERY_EVENTS} events or {@link CHECKPOINT_EVERY_MS}, and on `stop()`; a dropped
 * connection re-subscribes from the last handled event after a backoff.
 *
 * With a `batchHandler`, visible events are buffered in the order the server delivers them and
 * handed over when `batchSize` of them are buffered, when the subscription has been idle for
 * {@link BATCH_IDLE_MS} (it caught up) or {@link BATCH_MAX_WAIT_MS} after the first buffered one.
 * The position moves past a batch only once its handler resolved; buffered events not handed over
 * yet are dropped on a reconnect or `stop()` and delivered again from the last handled position.
 */
export class EventStoreDbSubscription implements Subscription {
  private readonly backoff = new Waker();
  private readonly delivery: Delivery;
  private readonly batchSize: number;
  private readonly onError: (error: unknown) => void;
  private position: GlobalPosition | undefined;
  private persisted: GlobalPosition | undefined;
  private unpersisted = 0;
  private lastPersistAt = Date.now();
  private current: AllStreamSubscription | undefined;
  private stopping = false;
  private running: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly source: EsdbSubscriptionSource,
    private readonly options: SubscribeOptions,
    checkpoint: GlobalPosition | undefined,
  ) {
    ({ delivery: this.delivery, batchSize: this.batchSize } = subscriptionDelivery(options));
    this.onError =
      options.onError ?? ((error) => console.error(`subscription ${options.subscriptionId}`, error));
    this.position = checkpoint;
    this.persisted = checkpoint;
  }

  static start(
    source: EsdbSubscriptionSource,
    options: SubscribeOptions,
    checkpoint: GlobalPosition | undefined,
  ): EventStoreDbSubscription {
    const subscription = new EventStoreDbSubscription(source, options, checkpoint);
    subscription.running = subscription.run();
    return subscription;
  }

  get checkpoint(): GlobalPosition | undefined {
    return this.persisted;
  }

  /** Polls until no visible event lies between the last handled one and the end of `$all` as of the call. */
  async caughtUp(): Promise<void> {
    const until = await this.source.lastPosition();
    if (!until) return;
    for (;;) {
      if (this.stopping) throw new Error(`subscription ${this.options.subscriptionId} is stopped`);
      if (!(await this.source.pending(this.position, until))) return;
      await new Promise((resolve) => setTimeout(resolve, CAUGHT_UP_POLL_MS));
    }
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.backoff.wake();
    // Ends the iteration once the event in flight has been handled.
    await this.current?.unsubscribe().catch(() => undefined);
    this.current?.destroy();
    await this.running;
    this.source.stopped();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const subscription = this.subscribe();
      this.current = subscription;
      try {
        const handled =
          this.delivery.kind === 'batch'
            ? this.consumeBatches(subscription, this.delivery.handler)
            : this.consumeEach(subscription, this.delivery.handler);
        for await (const count of handled) {
          failures = 0;
          this.unpersisted += count;
          if (
            this.unpersisted >= CHECKPOINT_EVERY_EVENTS ||
            Date.now() - this.lastPersistAt >= CHECKPOINT_EVERY_MS
          ) {
            await this.persist();
          }
        }
        if (!this.stopping) throw new Error('EventStoreDB ended the subscription');
      } catch (error) {
        if (this.stopping) break;
        this.onError(error);
        await this.backoff.sleep(backoffDelay(++failures));
      } finally {
        await subscription.unsubscribe().catch(() => undefined);
      }
    }
    await this.persist().catch(this.onError);
  }

  private subscribe(): AllStreamSubscription {
    const prefixes = this.options.streamPrefixes;
    const filter = prefixes?.length
      ? streamNameFilter({ prefixes: [...prefixes] })
      : streamNameFilter({ regex: `^(?!\\$|${escapeRegex(this.source.hiddenStreamPrefix)})` });
    // Subscribing from a position delivers the events strictly after it.
    return this.source.client.subscribeToAll({ fromPosition: this.position ?? START, filter });
  }

  /**
   * Hands the subscription's visible events over one by one, yielding 1 each time the position moved
   * past one; ends when the subscription ends or is stopped.
   */
  private async *consumeEach(
    subscription: AllStreamSubscription,
    handler: EventHandler,
  ): AsyncGenerator<number> {
    for await (const { event } of subscription) {
      if (!event || !this.source.isVisible(event)) continue;
      const recorded = this.source.toRecordedEvent(event);
      if (!(await this.retrying(() => handler(recorded)))) return;
      this.position = event.position;
      yield 1;
    }
  }

  /**
   * Hands the subscription's visible events over in batches (see the class comment), yielding the
   * size of each batch once the position moved past it; ends when the subscription ends or is stopped.
   */
  private async *consumeBatches(
    subscription: AllStreamSubscription,
    handler: BatchHandler,
  ): AsyncGenerator<number> {
    const iterator = subscription[Symbol.asyncIterator]();
    let buffer: RecordedEvent[] = [];
    let firstBufferedAt = 0;
    // The read in progress; it outlives an idle wait that ends first and is awaited again after the flush.
    let next: Promise<IteratorResult<AllStreamResolvedEvent>> | undefined;
    try {
      for (;;) {
        next ??= iterator.next();
        const waitMs = Math.min(BATCH_IDLE_MS, firstBufferedAt + BATCH_MAX_WAIT_MS - Date.now());
        const result = buffer.length === 0 ? await next : await settledWithin(next, Math.max(0, waitMs));
        if (result !== undefined) {
          next = undefined;
          if (result.done) return;
          const { event } = result.value;
          if (!event || !this.source.isVisible(event)) continue;
          if (buffer.length === 0) firstBufferedAt = Date.now();
          buffer.push(this.source.toRecordedEvent(event));
          if (buffer.length < this.batchSize) continue;
        }
        // Full, idle or waited long enough: hand the batch over, the same array on every attempt.
        const batch = buffer;
        buffer = [];
        if (!(await this.retrying(() => handler(batch)))) return;
        this.position = batch.at(-1)!.position;
        yield batch.length;
      }
    } finally {
      // A read left pending when stopping or failing must not surface as an unhandled rejection.
      next?.catch(() => undefined);
    }
  }

  /** Retries a failing handler call until it succeeds; false when stopped meanwhile. */
  private async retrying(call: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await call();
        return true;
      } catch (error) {
        this.onError(error);
        await this.backoff.sleep(backoffDelay(attempt));
      }
    }
    return false;
  }

  private async persist(): Promise<void> {
    const position = this.position;
    if (!position || position === this.persisted) return;
    await this.source.writeCheckpoint(position);
    this.persisted = position;
    this.unpersisted = 0;
    this.lastPersistAt = Date.now();
  }
}

/** What `promise` settles to, or undefined if it has not settled within `ms` (it keeps running). */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
