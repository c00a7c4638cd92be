import type { CampaignDefinition, CampaignEvent, Gate, UpdateStage } from './campaign-events';

export type CampaignStatus =
  'none' | 'awaiting-approval' | 'approved' | 'running' | 'paused' | 'completed' | 'cancelled' | 'aborted';

/** Where one device is in the campaign. */
export type DeviceStatus = 'pending' | 'gated' | UpdateStage | 'retrying' | 'succeeded' | 'failed';

export interface DeviceProgress {
  readonly deviceId: string;
  readonly wave: number;
  readonly fromVersion: string | null;
  status: DeviceStatus;
  attempt: number;
  /** Failed attempts so far (refusals by a gate do not count). */
  failures: number;
  /** When the current attempt started (ISO-8601); reports before it are about something else. */
  startedAt: string | null;
  /** When the current status began (ISO-8601): reports older than this belong to an earlier step. */
  since: string;
  gate: { readonly gate: Gate; readonly reason: string } | null;
  retryAt: string | null;
  lastError: string | null;
  /** The commands of the current attempt, to match the dispatcher's answers. */
  commandIds: string[];
}

export interface CampaignState {
  readonly status: CampaignStatus;
  readonly definition: CampaignDefinition | null;
  /** Owned by the fold: evolve updates entries in place so a 100,000-device rebuild stays linear. */
  readonly devices: Map<string, DeviceProgress>;
  /** Current wave, -1 before the start. */
  readonly wave: number;
  readonly waves: number;
  readonly pauseReason: string | null;
  /** Events applied; the stream's next expected revision. */
  readonly version: number;
}

export const initialCampaignState = (): CampaignState => ({
  status: 'none',
  definition: null,
  devices: new Map(),
  wave: -1,
  waves: 0,
  pauseReason: null,
  version: 0,
});

export const FINISHED: ReadonlySet<DeviceStatus> = new Set(['succeeded', 'failed']);
export const IN_PROGRESS: ReadonlySet<DeviceStatus> = new Set(['downloading', 'downloaded', 'updating']);

export function evolveCampaign(
  state: CampaignState,
  event: CampaignEvent,
  occurredAt: string,
): CampaignState {
  const next = { ...state, version: state.version + 1 };
  const device = (id: string) => state.devices.get(id);
  switch (event.type) {
    case 'CampaignCreated':
      return {
        ...next,
        definition: event.data.definition,
        status: event.data.definition.requireApproval ? 'awaiting-approval' : 'approved',
      };
    case 'CampaignTargetsAdded':
      for (const d of event.data.devices) {
        if (state.devices.has(d.deviceId)) continue;
        state.devices.set(d.deviceId, {
          ...d,
          status: 'pending',
          attempt: 0,
          failures: 0,
          startedAt: null,
          since: occurredAt,
          gate: null,
          retryAt: null,
          lastError: null,
          commandIds: [],
        });
      }
      return { ...next, waves: Math.max(state.waves, ...event.data.devices.map((d) => d.wave + 1)) };
    case 'CampaignApproved':
      return { ...next, status: 'approved' };
    case 'CampaignStarted':
      return { ...next, status: 'running' };
    case 'WaveStarted':
      return { ...next, wave: event.data.wave };
    case 'WaveCompleted':
      return next;
    case 'CampaignPaused':
      return { ...next, status: 'paused', pauseReason: event.data.reason };
    case 'CampaignResumed':
      if (event.data.retryFailed) {
        for (const d of state.devices.values()) {
          if (d.status === 'failed' || d.status === 'retrying') {
            Object.assign(d, { status: 'pending', failures: 0, retryAt: null, since: occurredAt });
          }
        }
      }
      return { ...next, status: 'running', pauseReason: null };
    case 'CampaignCancelled':
      return { ...next, status: 'cancelled' };
    case 'CampaignAborted':
      return { ...next, status: 'aborted' };
    case 'CampaignCompleted':
      return { ...next, status: 'completed' };
    case 'DeviceUpdateGated': {
      const d = device(event.data.deviceId);
      if (d)
        Object.assign(d, {
          status: 'gated',
          gate: { gate: event.data.gate, reason: event.data.reason },
          since: occurredAt,
        });
      return next;
    }
    case 'DeviceUpdateStarted': {
      const d = device(event.data.deviceId);
      if (d) {
        Object.assign(d, {
          status: 'downloading',
          attempt: event.data.attempt,
          gate: null,
          retryAt: null,
          since: occurredAt,
          startedAt: occurredAt,
          commandIds: [event.data.observeCommandId, event.data.writeCommandId],
        });
      }
      return next;
    }
    case 'DeviceUpdateProgressed': {
      const d = device(event.data.deviceId);
      if (d) Object.assign(d, { status: event.data.stage, since: occurredAt });
      return next;
    }
    case 'DeviceInstallRequested': {
      const d = device(event.data.deviceId);
      if (d) d.commandIds = [...d.commandIds, event.data.commandId];
      return next;
    }
    case 'DeviceUpdateSucceeded': {
      const d = device(event.data.deviceId);
      if (d) Object.assign(d, { status: 'succeeded', since: occurredAt, lastError: null });
      return next;
    }
    case 'DeviceUpdateFailed': {
      const d = device(event.data.deviceId);
      if (d) {
        Object.assign(d, {
          status: event.data.retryAt ? 'retrying' : 'failed',
          failures: d.failures + 1,
          retryAt: event.data.retryAt,
          lastError: event.data.reason,
          since: occurredAt,
        });
      }
      return next;
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown campaign event ${JSON.stringify(unknown)}`);
    }
  }
}

/** Counts by device status, for progress and thresholds; `wave` limits them to one wave. */
export function countByStatus(state: CampaignState, wave?: number): Record<DeviceStatus, number> {
  const counts: Record<DeviceStatus, number> = {
    pending: 0,
    gated: 0,
    downloading: 0,
    downloaded: 0,
    updating: 0,
    retrying: 0,
    succeeded: 0,
    failed: 0,
  };
  for (const d of state.devices.values()) if (wave === undefined || d.wave === wave) counts[d.status]++;
  return counts;
}

/** A copy decide can fold its own events onto without touching the caller's state. */
export function cloneCampaignState(state: CampaignState): CampaignState {
  const devices = new Map<string, DeviceProgress>();
  for (const [id, d] of state.devices) devices.set(id, { ...d });
  return { ...state, devices };
}
