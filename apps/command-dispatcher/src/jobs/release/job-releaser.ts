import { createHash } from 'node:crypto';
import type { EventMetadata } from '@fleet/core';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Dispatcher } from '../../commands/dispatch/dispatcher';
import { CommandService } from '../../commands/request-command/command-service';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import { releasable } from '../job';
import { JobService } from '../manage-jobs/job-service';
import type { JobRow } from '../store/job-store';

/** Most devices released in one pass of one job, so passes stay short and other jobs get their turn. */
const RELEASE_CHUNK = 2_000;

/** The command of a job for a device: the same id every time, so a release repeated after a crash records nothing new. */
export function jobCommandId(jobId: string, deviceId: string): string {
  const hex = createHash('sha256').update(`job:${jobId}:${deviceId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Releases jobs' devices at their rate: one command per device, within the job's window. Leader only. */
@Injectable()
export class JobReleaser implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobReleaser.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly jobs: JobService,
    private readonly commands: CommandService,
    private readonly dispatcher: Dispatcher,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.DISPATCH_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.releaseAll()
      .catch((error: unknown) =>
        this.logger.error({ err: error }, 'releasing job devices failed; next tick retries'),
      )
      .finally(() => (this.running = undefined));
  }

  private async releaseAll(): Promise<void> {
    if (!(await this.dispatcher.isLeader())) return;
    const now = new Date().toISOString();
    for (const job of await this.jobs.jobs.releasing(now)) await this.release(job, now);
  }

  private async release(job: JobRow, now: string): Promise<void> {
    const { definition } = job;
    const count = Math.min(RELEASE_CHUNK, releasable(definition, job.released, now));
    if (count === 0) return;
    const targets = await this.jobs.jobs.nextTargets(definition.jobId, job.released, count);
    const metadata: EventMetadata = {
      actor: { type: 'service', id: 'command-dispatcher' },
      reason: `bulk job ${definition.jobId}`,
      occurredAt: now,
      correlationId: definition.jobId,
      causationId: definition.jobId,
      tenant: 'default',
    };
    const released = targets.map((t) => ({
      seq: t.seq,
      deviceId: t.deviceId,
      commandId: jobCommandId(definition.jobId, t.deviceId),
    }));
    await this.commands.requestMany(
      released.map((t) => ({
        deviceId: t.deviceId,
        operation: definition.operation,
        origin: 'job' as const,
        jobId: definition.jobId,
        commandId: t.commandId,
        notAfter: definition.expiresAt,
        maxAttempts: definition.maxAttempts ?? undefined,
        metadata,
      })),
    );
    await this.jobs.jobs.released(definition.jobId, released);
  }
}
