import { EVENT_STORE, type EventStore, type Subscription } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ProjectionProgress } from '../../projections/projection-progress';
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
  private readonly progress: ProjectionProgress;
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(GROUP_STORE) private readonly groups: PostgresGroupStore,
  ) {
    this.progress = new ProjectionProgress((name) => groups.version(name));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.groups.ensureSchema();
    this.subscription = await this.store.subscribe({
      subscriptionId: GroupProjection.subscriptionId,
      streamPrefixes: ['group-'],
      handler: async (event) => {
        await this.groups.apply(event);
        this.progress.applied(event.stream.slice('group-'.length), Number(event.revision) + 1);
      },
      onError: (error) => this.logger.error({ err: error }, 'groups projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.progress.close();
    await this.subscription?.stop();
  }

  /** Resolves true once the projection shows `version` of group `name`, false after `timeoutMs`. */
  waitFor(name: string, version: number, timeoutMs = 3_000): Promise<boolean> {
    return this.progress.waitFor(name, version, timeoutMs);
  }
}
