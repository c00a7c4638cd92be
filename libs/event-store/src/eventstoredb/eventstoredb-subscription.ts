import {
  START,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import type { GlobalPosition, RecordedEvent, SubscribeOptions, Subscription } from '../event-store.port';
import { backoffDelay } from '@fleet/core';
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

/**
 * Catch-up subscription on `$all`. At-least-once: the checkpoint is persisted every
 * {@link CHECKPOINT_EVERY_EVENTS} events or {@link CHECKPOINT_EVERY_MS}, and on `stop()`; a dropped
 * connection re-subscribes from the last handled event after a backoff.
 */
export class EventStoreDbSubscription implements Subscription {
  private readonly backoff = new Waker();
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
        for await (const { event } of subscription) {
          if (!event || !this.source.isVisible(event)) continue;
          if (!(await this.handle(this.source.toRecordedEvent(event)))) break;
          failures = 0;
          this.position = event.position;
          if (
            ++this.unpersisted >= CHECKPOINT_EVERY_EVENTS ||
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

  /** Retries a failing handler on the same event until it succeeds; false when stopped meanwhile. */
  private async handle(event: RecordedEvent): Promise<boolean> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.options.handler(event);
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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
