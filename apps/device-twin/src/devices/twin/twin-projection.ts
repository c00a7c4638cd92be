import { EVENT_STORE, type EventStore, type Subscription } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ProjectionProgress } from '../../projections/projection-progress';
import { TWIN_STORE, type TwinStore } from './twin';

/**
 * Keeps the twin table up to date from the event store's device streams (a checkpointed,
 * at-least-once subscription; the store makes each event land once). Lets a request wait until
 * its own change is visible, so an operator reads what they just wrote.
 */
@Injectable()
export class TwinProjection implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'device-twin-projection';
  private readonly logger = new Logger(TwinProjection.name);
  private readonly progress: ProjectionProgress;
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
  ) {
    this.progress = new ProjectionProgress((deviceId) => twins.version(deviceId));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.twins.ensureSchema();
    this.subscription = await this.store.subscribe({
      subscriptionId: TwinProjection.subscriptionId,
      streamPrefixes: ['device-'],
      batchHandler: async (events) => {
        await this.twins.applyBatch(events);
        for (const event of events) {
          this.progress.applied(event.stream.slice('device-'.length), Number(event.revision) + 1);
        }
      },
      onError: (error) => this.logger.error({ err: error }, 'twin projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.progress.close();
    await this.subscription?.stop();
  }

  /** Resolves true once the twin of `deviceId` reflects `version`, false after `timeoutMs`. */
  waitFor(deviceId: string, version: number, timeoutMs = 3_000): Promise<boolean> {
    return this.progress.waitFor(deviceId, version, timeoutMs);
  }
}
