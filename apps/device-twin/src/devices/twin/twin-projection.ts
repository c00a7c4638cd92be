import { EVENT_STORE, type EventStore, type Subscription } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { TWIN_STORE, type TwinStore } from './twin';

interface Waiter {
  readonly version: number;
  readonly resolve: (reached: boolean) => void;
}

/**
 * Keeps the twin table up to date from the event store's device streams (a checkpointed,
 * at-least-once subscription; the store makes each event land once). Lets a request wait until
 * its own change is visible, so an operator reads what they just wrote.
 */
@Injectable()
export class TwinProjection implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'device-twin-projection';
  private readonly logger = new Logger(TwinProjection.name);
  private readonly waiters = new Map<string, Waiter[]>();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.twins.ensureSchema();
    this.subscription = await this.store.subscribe({
      subscriptionId: TwinProjection.subscriptionId,
      streamPrefixes: ['device-'],
      batchHandler: async (events) => {
        await this.twins.applyBatch(events);
        for (const event of events)
          this.notify(event.stream.slice('device-'.length), Number(event.revision) + 1);
      },
      onError: (error) => this.logger.error({ err: error }, 'twin projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
    for (const [, list] of this.waiters) list.forEach((w) => w.resolve(false));
    this.waiters.clear();
  }

  /** Resolves true once the twin of `deviceId` reflects `version`, false after `timeoutMs`. */
  waitFor(deviceId: string, version: number, timeoutMs = 3_000): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = { version, resolve: (reached) => settle(reached) };
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (reached: boolean) => {
        clearTimeout(timer);
        this.forget(deviceId, waiter);
        resolve(reached);
      };
      this.waiters.set(deviceId, [...(this.waiters.get(deviceId) ?? []), waiter]);
      // The projection may have got there before we started waiting.
      this.twins.find(deviceId).then(
        (twin) => twin && twin.version >= version && settle(true),
        () => undefined,
      );
    });
  }

  private forget(deviceId: string, waiter: Waiter): void {
    const rest = (this.waiters.get(deviceId) ?? []).filter((w) => w !== waiter);
    if (rest.length > 0) this.waiters.set(deviceId, rest);
    else this.waiters.delete(deviceId);
  }

  private notify(deviceId: string, version: number): void {
    for (const waiter of this.waiters.get(deviceId) ?? [])
      if (waiter.version <= version) waiter.resolve(true);
  }
}
