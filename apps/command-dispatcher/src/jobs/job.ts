import { assertNever, ConflictError } from '@fleet/core';
import type { OperationRequest } from '../commands/command-events';

/** Which devices a job targets: explicit ids, a filter over the dispatcher's device facts, or a device group. */
export type JobSelector =
  | { readonly deviceIds: readonly string[] }
  | {
      readonly filter: {
        readonly status?: readonly string[];
        readonly kind?: string;
        readonly model?: string;
        readonly firmwareVersion?: string;
        readonly tags?: readonly string[];
        readonly region?: string;
      };
    }
  | { readonly group: string };

export interface JobDefinition {
  readonly jobId: string;
  readonly operation: OperationRequest;
  readonly selector: JobSelector;
  /** Devices are released from this instant (ISO-8601). */
  readonly startAt: string;
  /** Nothing is released after this instant, and the job's commands expire by then. */
  readonly expiresAt: string;
  /** Devices released per minute; null: as fast as the dispatcher goes. */
  readonly ratePerMinute: number | null;
  readonly maxAttempts: number | null;
  readonly targetCount: number;
}

export type JobEvent =
  | { readonly type: 'JobCreated'; readonly data: JobDefinition }
  | {
      readonly type: 'JobTargetsAdded';
      readonly data: {
        readonly jobId: string;
        readonly firstIndex: number;
        readonly deviceIds: readonly string[];
      };
    }
  | { readonly type: 'JobCancelled'; readonly data: { readonly jobId: string } };

export type JobState =
  | { readonly status: 'none'; readonly version: 0 }
  | {
      readonly status: 'created' | 'cancelled';
      readonly definition: JobDefinition;
      readonly targetsRecorded: number;
      readonly version: number;
    };

export const initialJobState: JobState = { status: 'none', version: 0 };

export type JobCommand =
  | { readonly type: 'CreateJob'; readonly definition: JobDefinition; readonly targets: readonly string[] }
  | { readonly type: 'CancelJob'; readonly jobId: string };

/** Targets per JobTargetsAdded event: 100,000 devices make 20 events of about 200 KB. */
export const TARGETS_PER_EVENT = 5_000;

export function decideJob(command: JobCommand, state: JobState): JobEvent[] {
  switch (command.type) {
    case 'CreateJob': {
      if (state.status !== 'none') return [];
      const { jobId } = command.definition;
      const chunks: JobEvent[] = [];
      for (let i = 0; i < command.targets.length; i += TARGETS_PER_EVENT) {
        chunks.push({
          type: 'JobTargetsAdded',
          data: { jobId, firstIndex: i, deviceIds: command.targets.slice(i, i + TARGETS_PER_EVENT) },
        });
      }
      return [{ type: 'JobCreated', data: command.definition }, ...chunks];
    }
    case 'CancelJob':
      if (state.status === 'none') throw new ConflictError(`job ${command.jobId} does not exist`);
      if (state.status === 'cancelled') return [];
      return [{ type: 'JobCancelled', data: { jobId: command.jobId } }];
    default:
      return assertNever(command);
  }
}

export function evolveJob(state: JobState, event: JobEvent): JobState {
  switch (event.type) {
    case 'JobCreated':
      return { status: 'created', definition: event.data, targetsRecorded: 0, version: state.version + 1 };
    case 'JobTargetsAdded':
      if (state.status === 'none') return state;
      return {
        ...state,
        targetsRecorded: state.targetsRecorded + event.data.deviceIds.length,
        version: state.version + 1,
      };
    case 'JobCancelled':
      if (state.status === 'none') return state;
      return { ...state, status: 'cancelled', version: state.version + 1 };
    default:
      return assertNever(event);
  }
}

export const jobDecider = { decide: decideJob, evolve: evolveJob, initialState: initialJobState };
export const jobStream = (jobId: string): string => `job-${jobId}`;

/**
 * How many more devices a job may release now: its rate times the time since it started (one
 * device at once, so a job starts straight away), never beyond its targets, none before its start
 * or after its expiry.
 */
export function releasable(
  job: Pick<JobDefinition, 'startAt' | 'expiresAt' | 'ratePerMinute' | 'targetCount'>,
  released: number,
  now: string,
): number {
  const t = Date.parse(now);
  if (t < Date.parse(job.startAt) || t >= Date.parse(job.expiresAt)) return 0;
  const allowed =
    job.ratePerMinute === null
      ? job.targetCount
      : Math.min(
          job.targetCount,
          1 + Math.floor(((t - Date.parse(job.startAt)) / 60_000) * job.ratePerMinute),
        );
  return Math.max(0, allowed - released);
}

export type JobStatus = 'scheduled' | 'running' | 'completed' | 'cancelled' | 'expired';

/** A job's status from its definition, whether it was cancelled, and its progress. */
export function jobStatus(
  job: Pick<JobDefinition, 'startAt' | 'expiresAt' | 'targetCount'>,
  cancelled: boolean,
  progress: { released: number; open: number },
  now: string,
): JobStatus {
  if (cancelled) return 'cancelled';
  if (progress.released >= job.targetCount && progress.open === 0) return 'completed';
  const t = Date.parse(now);
  if (t >= Date.parse(job.expiresAt)) return 'expired';
  return t < Date.parse(job.startAt) ? 'scheduled' : 'running';
}
