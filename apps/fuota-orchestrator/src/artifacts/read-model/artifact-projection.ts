import { EVENT_STORE, type EventStore, type Subscription } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ARTIFACT_STREAM_PREFIX } from '../artifact';
import { artifactViewOf } from '../artifact-view';
import { ArtifactTable } from './artifact-table';

/**
 * Keeps `fuota_artifacts` in step with the `artifact-` streams. Requests write their own change
 * through at once (read-your-writes); this checkpointed subscription repairs what a crash
 * between append and write-through left behind, and rebuilds the table after it was dropped.
 * Artifact streams hold three events at most, so each event re-folds its whole stream.
 */
@Injectable()
export class ArtifactProjection implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'fuota-artifacts';
  private readonly logger = new Logger(ArtifactProjection.name);
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly table: ArtifactTable,
  ) {}

  /** The table exists before the first request (Nest awaits this before listening). */
  async onModuleInit(): Promise<void> {
    await this.table.ensureSchema();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.store.subscribe({
      subscriptionId: ArtifactProjection.subscriptionId,
      streamPrefixes: [ARTIFACT_STREAM_PREFIX],
      handler: async (event) => this.refresh(event.stream),
      onError: (error) => this.logger.error({ err: error }, 'artifact projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Re-folds one artifact's stream into its row. */
  async refresh(stream: string): Promise<void> {
    const view = artifactViewOf(await this.store.readStream(stream));
    if (view) await this.table.save(view);
  }
}
