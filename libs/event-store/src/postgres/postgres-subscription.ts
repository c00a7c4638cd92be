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

/** A page of the global log plus the horizon below which the log can no longer change. */
export interface LogPage {
  readonly events: RecordedEvent[];
  readonly horizon: bigint;
}

/** What a subscription needs from its store. */
export interface SubscriptionSource {
  read(after: GlobalPosition | undefined, maxCount: number, prefixes?: readonly string[]): Promise<LogPage>;
  /** Transaction id of the newest committed event, if any. */
  lastTransaction(): Promise<bigint | undefined>;
  writeCheckpoint(subscriptionId: string, position: GlobalPosition): Promise<void>;
  /** Starts calling `wake` on appends; resolves to the function that stops it. */
  listen(wake: () => void): Promise<() => Promise<void>>;
  /** Gives a lost LISTEN connection another chance; never throws. */
  reconnect(): Promise<void>;
  /** Called once the subscription has stopped. */
  stopped(): void;
}

export interface PostgresSubscriptionSettings {
  readonly pollIntervalMs: number;
  /** A handled position is persisted at the latest this long after it was handled, even mid-batch. */
  readonly checkpointIntervalMs: number;
}

interface Waiter {
  readonly lastTransaction: bigint;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Catch-up subscription over the transaction-ordered log (see `PostgresStatements.readAll`).
 * Delivery is at-least-once: the checkpoint is persisted after each batch, every
 * `checkpointIntervalMs` within a batch and on `stop()`; after a crash, the events handled since
 * the last persisted checkpoint are delivered again. A page read from the log is the batch a
 * `batchHandler` is given.
 */
export class PostgresSubscription implements Subscription {
  private readonly delivery: Delivery;
  private readonly batchSize: number;
  private readonly onError: (error: unknown) => void;
  /** Woken by notifications, `caughtUp()` and `stop()`: ends the idle wait. */
  private readonly idle = new Waker();
  /** Woken by `stop()` only, so that a stream of notifications cannot cut a backoff short. */
  private readonly backoff = new Waker();
  private readonly waiters: Waiter[] = [];
  private position: GlobalPosition | undefined;
  private persisted: GlobalPosition | undefined;
  private lastPersistAt = Date.now();
  /** Every event of a transaction below this id has been handled. */
  private drainedBelow = 0n;
  private stopping = false;
  private running: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | undefined;
  private unlisten: () => Promise<void> = async () => undefined;

  private constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly settings: PostgresSubscriptionSettings,
    checkpoint: GlobalPosition | undefined,
  ) {
    ({ delivery: this.delivery, batchSize: this.batchSize } = subscriptionDelivery(options));
    this.onError =
      options.onError ?? ((error) => console.error(`subscription ${options.subscriptionId}`, error));
    this.position = checkpoint;
    this.persisted = checkpoint;
  }

  static async start(
    source: SubscriptionSource,
    options: SubscribeOptions,
    settings: PostgresSubscriptionSettings,
    checkpoint: GlobalPosition | undefined,
  ): Promise<PostgresSubscription> {
    const subscription = new PostgresSubscription(source, options, settings, checkpoint);
    subscription.unlisten = await source.listen(() => subscription.idle.wake());
    subscription.running = subscription.run();
    return subscription;
  }

  get checkpoint(): GlobalPosition | undefined {
    return this.persisted;
  }

  async caughtUp(): Promise<void> {
    if (this.stopping) throw new Error(`subscription ${this.options.subscriptionId} is stopped`);
    const lastTransaction = await this.source.lastTransaction();
    if (lastTransaction === undefined || lastTransaction < this.drainedBelow) return;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ lastTransaction, resolve, reject });
      this.idle.wake();
    });
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.idle.wake();
    this.backoff.wake();
    await this.running;
    await this.unlisten();
    const error = new Error(`subscription ${this.options.subscriptionId} stopped before catching up`);
    this.waiters.splice(0).forEach((waiter) => waiter.reject(error));
    this.source.stopped();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const page = await this.source.read(this.position, this.batchSize, this.options.streamPrefixes);
        failures = 0;
        if (this.delivery.kind === 'batch') await this.handleBatch(this.delivery.handler, page.events);
        else await this.handleEach(this.delivery.handler, page.events);
        await this.persist();
        if (this.stopping) break;
        // A short page means everything below its horizon has now been handled.
        if (page.events.length < this.batchSize) this.drained(page.horizon);
        if (page.events.length === 0) {
          await this.source.reconnect();
          await this.idle.sleep(this.settings.pollIntervalMs);
        }
      } catch (error) {
        this.onError(error);
        await this.backoff.sleep(backoffDelay(++failures));
      }
    }
    await this.persist().catch(this.onError);
  }

  /** Hands the page over event by event; stops early when the subscription is stopped. */
  private async handleEach(handler: EventHandler, events: readonly RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (!(await this.retrying(() => handler(event)))) return;
      this.position = event.position;
      if (Date.now() - this.lastPersistAt >= this.settings.checkpointIntervalMs) await this.persist();
    }
  }

  /** Hands the whole page over at once; the position moves past it only once the handler resolved. */
  private async handleBatch(handler: BatchHandler, events: readonly RecordedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last && (await this.retrying(() => handler(events)))) this.position = last.position;
  }

  /** Retries a failing handler call until it succeeds; false when stopped meanwhile. */
  private async retrying(call: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await call();
        return true;
      } catch (error) {
        this.onError(error);
        // A handler may stay broken for long: do not leave the events before it unpersisted meanwhile.
        await this.persist().catch(this.onError);
        await this.backoff.sleep(backoffDelay(attempt));
      }
    }
    return false;
  }

  private async persist(): Promise<void> {
    const position = this.position;
    this.lastPersistAt = Date.now();
    if (!position || position === this.persisted) return;
    await this.source.writeCheckpoint(this.options.subscriptionId, position);
    this.persisted = position;
  }

  private drained(horizon: bigint): void {
    if (horizon <= this.drainedBelow) return;
    this.drainedBelow = horizon;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.lastTransaction < horizon) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
