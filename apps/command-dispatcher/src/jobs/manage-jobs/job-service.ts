import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, type CommandMetadata } from '@fleet/core';
import { checkOperation } from '@fleet/device-protocol';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { OperationRequest } from '../../commands/command-events';
import { CommandLedger } from '../../commands/store/command-ledger';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import type { DeviceFilter } from '../../devices/directory/device-store';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import {
  jobDecider,
  jobStatus,
  jobStream,
  type JobDefinition,
  type JobSelector,
  type JobStatus,
} from '../job';
import { JobStore } from '../store/job-store';

export interface NewJob {
  readonly operation: OperationRequest;
  readonly selector: JobSelector;
  readonly startAt: string | null;
  readonly expiresAt: string | null;
  readonly ratePerMinute: number | null;
  readonly maxAttempts: number | null;
}

export interface JobView {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly operation: OperationRequest;
  /** The selector as given; an id list is summarised by its length. */
  readonly selector:
    Exclude<JobSelector, { deviceIds: readonly string[] }> | { readonly deviceCount: number };
  readonly startAt: string;
  readonly expiresAt: string;
  readonly ratePerMinute: number | null;
  readonly targetCount: number;
  /** Devices by the state of their command; `pending` have not been released yet. */
  readonly progress: Readonly<Record<string, number>>;
  readonly createdAt: string;
}

const DEFAULT_JOB_DURATION_MS = 7 * 86_400_000;
const OPEN = ['requested', 'queued', 'sent', 'delivered'];

/** Plans bulk jobs (targets resolved once, recorded in the job's stream) and reports their progress. */
@Injectable()
export class JobService {
  readonly jobs: JobStore;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) pool: Pool,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
    private readonly devices: DeviceDirectory,
    private readonly ledger: CommandLedger,
  ) {
    this.jobs = new JobStore(pool);
  }

  async create(input: NewJob, metadata: CommandMetadata): Promise<JobView> {
    checkOperation(input.operation);
    const now = metadata.occurredAt;
    const startAt = input.startAt ?? now;
    const expiresAt =
      input.expiresAt ?? new Date(Date.parse(startAt) + DEFAULT_JOB_DURATION_MS).toISOString();
    if (Date.parse(expiresAt) <= Date.parse(startAt)) {
      throw new ValidationError(`expiresAt ${expiresAt} is not after startAt ${startAt}`);
    }
    if (Date.parse(expiresAt) <= Date.parse(now))
      throw new ValidationError(`expiresAt ${expiresAt} has already passed`);
    const targets = await this.targets(input.selector);
    if (targets.length === 0) throw new ValidationError('the selector matches no device');
    const definition: JobDefinition = {
      jobId: randomUUID(),
      operation: input.operation,
      selector: input.selector,
      startAt,
      expiresAt,
      ratePerMinute: input.ratePerMinute,
      maxAttempts: input.maxAttempts,
      targetCount: targets.length,
    };
    await handleCommand(
      this.store,
      jobStream(definition.jobId),
      jobDecider,
      { type: 'CreateJob', definition, targets },
      metadata,
    );
    await this.jobs.create(definition, targets, now);
    return this.view(definition.jobId);
  }

  async cancel(jobId: string, metadata: CommandMetadata): Promise<JobView> {
    await this.existing(jobId);
    await handleCommand(this.store, jobStream(jobId), jobDecider, { type: 'CancelJob', jobId }, metadata);
    await this.jobs.markCancelled(jobId);
    for (;;) {
      const open = await this.jobs.openCommandIds(jobId, 1000);
      if (open.length === 0) break;
      const known = await this.ledger.rows.findMany(open);
      await this.ledger.decideAll(
        open.map((commandId) => ({
          commandId,
          known: known.get(commandId),
          metadata: { ...metadata, reason: metadata.reason ?? `job ${jobId} cancelled` },
          command: { type: 'CancelCommand' as const },
        })),
      );
    }
    return this.view(jobId);
  }

  async view(jobId: string): Promise<JobView> {
    const job = await this.existing(jobId);
    const counts = await this.jobs.counts(jobId);
    const progress = { pending: job.definition.targetCount - job.released, ...counts };
    const open = OPEN.reduce((n, s) => n + (counts[s] ?? 0), 0);
    const { definition: d } = job;
    return {
      jobId,
      status: jobStatus(d, job.cancelled, { released: job.released, open }, new Date().toISOString()),
      operation: d.operation,
      selector: 'deviceIds' in d.selector ? { deviceCount: d.selector.deviceIds.length } : d.selector,
      startAt: d.startAt,
      expiresAt: d.expiresAt,
      ratePerMinute: d.ratePerMinute,
      targetCount: d.targetCount,
      progress,
      createdAt: job.createdAt,
    };
  }

  private async existing(jobId: string) {
    const job = /^[0-9a-f-]{36}$/.test(jobId) ? await this.jobs.find(jobId) : undefined;
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`, { jobId });
    return job;
  }

  private async targets(selector: JobSelector): Promise<string[]> {
    const limit = this.config.JOB_TARGET_LIMIT;
    let filter: DeviceFilter;
    if ('deviceIds' in selector) {
      const ids = [...new Set(selector.deviceIds)];
      const found = await this.devices.store.select({ deviceIds: ids }, ids.length);
      if (found.length < ids.length) {
        const known = new Set(found);
        const unknown = ids.filter((id) => !known.has(id));
        throw new ValidationError(
          `unknown devices: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`,
          { unknown: unknown.slice(0, 100) },
        );
      }
      return ids;
    } else if ('filter' in selector) filter = selector.filter;
    else filter = await this.groupFilter(selector.group);
    const ids = await this.devices.store.select(filter, limit + 1);
    if (ids.length > limit)
      throw new ValidationError(
        `the selector matches more than ${limit} devices (JOB_TARGET_LIMIT); split the job`,
      );
    return ids;
  }

  /** A device group (device-twin's `group-<name>` stream): static → its tag, dynamic → its saved filter. */
  private async groupFilter(name: string): Promise<DeviceFilter> {
    const events = await this.store.readStream(`group-${name}`);
    const last = events.at(-1);
    if (!last || last.type === 'GroupDeleted') throw new ValidationError(`group ${name} does not exist`);
    const group = last.data as { kind: string; tag: string | null; query: Record<string, unknown> | null };
    if (group.kind === 'static') return { tags: [group.tag ?? ''] };
    return filterOfGroupQuery(name, group.query ?? {});
  }
}

const asList = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String);

/** The part of fleet search a job can evaluate on the dispatcher's own facts; anything else is refused. */
export function filterOfGroupQuery(name: string, query: Record<string, unknown>): DeviceFilter {
  const supported = ['model', 'firmware', 'tag', 'status', 'region'];
  const other = Object.keys(query).filter((key) => !supported.includes(key));
  if (other.length > 0) {
    throw new ValidationError(
      `group ${name} filters on ${other.join(', ')}, which jobs cannot evaluate (they select on ${supported.join(', ')}); target its devices by deviceIds instead`,
    );
  }
  return {
    model: query['model'] as string | undefined,
    firmwareVersion: query['firmware'] as string | undefined,
    tags: asList(query['tag']),
    status: asList(query['status']),
    region: query['region'] as string | undefined,
  };
}
