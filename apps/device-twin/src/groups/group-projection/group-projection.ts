import { EVENT_STORE, type EventStore, type Subscription } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { PostgresGroupStore } from './postgres-group-store';

export const GROUP_STORE = Symbol('GROUP_STORE');

/**
 * Keeps the groups table up to date from the `group-` streams (checkpointed, at-least-once
 * subscription; the store's version guard makes each event land once), and lets a write wait
 * until its own change is visible.
 */
@Injectable()
export class GroupProjection implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'device-twin-groups';
  private readonly logger = new Logger(GroupProjection.name);
  private readonly reached = new Map<string, number>();
  private readonly wakers = new Set<() => void>();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(GROUP_STORE) private readonly groups: PostgresGroupStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.groups.ensureSchema();
    this.subscription = await this.store.subscribe({
      subscriptionId: GroupProjection.subscriptionId,
      streamPrefixes: ['group-'],
      handler: async (event) => {
        await this.groups.apply(event);
        this.reached.set(event.stream.slice('group-'.length), Number(event.revision) + 1);
        for (const wake of [...this.wakers]) wake();
      },
      onError: (error) => this.logger.error({ err: error }, 'groups projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
    for (const wake of [...this.wakers]) wake();
    this.wakers.clear();
  }

  /** Resolves true once the projection shows `version` of group `name`, false after `timeoutMs`. */
  async waitFor(name: string, version: number, timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((this.reached.get(name) ?? 0) >= version) return true;
      if ((await this.groups.version(name)) >= version) return true;
      const left = deadline - Date.now();
      if (left <= 0 || !this.subscription) return false;
      // Woken by this process's subscription; polls too, in case another replica projected it.
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.wakers.add(wake);
      });
    }
  }
}
