import { IllegalStateError, ValidationError } from '@fleet/core';
import { UPDATE_RESULTS } from '@fleet/firmware';
import type { CampaignDefinition, CampaignEvent, Gate, TargetDevice, UpdateStage } from './campaign-events';
import {
  cloneCampaignState,
  countByStatus,
  evolveCampaign,
  IN_PROGRESS,
  type CampaignState,
  type DeviceProgress,
} from './campaign-state';
import { insideWindow } from './maintenance-window';

/** The latest of a reading, with when the device sent it. */
export interface Reported<T> {
  readonly value: T;
  readonly at: string;
}

/** How the dispatcher's command of a device step ended, from `fleet.command-events.v1`. */
export interface CommandOutcome {
  readonly status: 'succeeded' | 'failed' | 'expired' | 'cancelled' | 'refused';
  readonly gate: string | null;
  readonly reason: string | null;
  readonly at: string;
}

/** What the orchestrator knows of a device when it advances a campaign (its twin facts and reports). */
export interface DeviceObservation {
  readonly status: 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned' | null;
  readonly batteryPercent: number | null;
  readonly firmwareVersion: Reported<string> | null;
  readonly updateState: Reported<number> | null;
  readonly updateResult: Reported<number> | null;
  readonly commands: ReadonlyMap<string, CommandOutcome>;
}

/** The steps a campaign asks the dispatcher for; their ids are derived, never random (idempotent requests). */
export type Step = 'observe' | 'write-uri' | 'execute';
export type StepCommandId = (deviceId: string, attempt: number, step: Step) => string;

export type CampaignCommand =
  | {
      readonly type: 'CreateCampaign';
      readonly definition: CampaignDefinition;
      readonly targets: readonly TargetDevice[];
    }
  | { readonly type: 'AddTargets'; readonly devices: readonly TargetDevice[] }
  | { readonly type: 'ApproveCampaign'; readonly approver: string }
  | { readonly type: 'PauseCampaign'; readonly reason: string }
  | { readonly type: 'ResumeCampaign'; readonly retryFailed: boolean }
  | { readonly type: 'CancelCampaign' }
  | {
      readonly type: 'AdvanceCampaign';
      readonly now: string;
      readonly observations: ReadonlyMap<string, DeviceObservation>;
      readonly commandId: StepCommandId;
    };

/** Devices per CampaignTargetsAdded, so no event grows without bound. */
export const TARGETS_PER_EVENT = 1_000;
const MAX_RETRY_DELAY_MS = 3_600_000;

export function decideCampaign(command: CampaignCommand, state: CampaignState): CampaignEvent[] {
  const campaignId = state.definition?.campaignId ?? '';
  switch (command.type) {
    case 'CreateCampaign': {
      if (state.status !== 'none') return []; // the same campaign id again: already recorded
      const { definition } = command;
      const id = definition.campaignId;
      const chunks: CampaignEvent[] = [];
      for (let i = 0; i < command.targets.length; i += TARGETS_PER_EVENT) {
        const devices = command.targets.slice(i, i + TARGETS_PER_EVENT);
        chunks.push({ type: 'CampaignTargetsAdded', data: { campaignId: id, devices } });
      }
      return [{ type: 'CampaignCreated', data: { campaignId: id, definition } }, ...chunks];
    }
    case 'AddTargets': {
      const fresh = command.devices.filter((d) => !state.devices.has(d.deviceId));
      if (fresh.length === 0 || isOver(state)) return [];
      return [{ type: 'CampaignTargetsAdded', data: { campaignId, devices: fresh } }];
    }
    case 'ApproveCampaign':
      if (state.status === 'approved' || state.status === 'running') return [];
      if (state.status !== 'awaiting-approval') throw new IllegalStateError(`campaign is ${state.status}`);
      if (command.approver === state.definition!.createdBy) {
        throw new ValidationError('the approver must not be the creator of the campaign (four-eyes rule)');
      }
      return [{ type: 'CampaignApproved', data: { campaignId, approvedBy: command.approver } }];
    case 'PauseCampaign':
      if (state.status === 'paused') return [];
      if (state.status !== 'running')
        throw new IllegalStateError(`only a running campaign pauses; it is ${state.status}`);
      return [
        {
          type: 'CampaignPaused',
          data: { campaignId, reason: command.reason, wave: state.wave, byOperator: true },
        },
      ];
    case 'ResumeCampaign': {
      if (state.status !== 'paused')
        throw new IllegalStateError(`only a paused campaign resumes; it is ${state.status}`);
      const retried = command.retryFailed
        ? [...state.devices.values()].filter((d) => d.status === 'failed' || d.status === 'retrying').length
        : 0;
      return [{ type: 'CampaignResumed', data: { campaignId, retryFailed: command.retryFailed, retried } }];
    }
    case 'CancelCampaign':
      if (state.status === 'cancelled') return [];
      if (isOver(state) || state.status === 'none')
        throw new IllegalStateError(`campaign is ${state.status}`);
      return [{ type: 'CampaignCancelled', data: { campaignId } }];
    case 'AdvanceCampaign':
      return advance(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown campaign command ${JSON.stringify(unknown)}`);
    }
  }
}

const isOver = (state: CampaignState) =>
  state.status === 'completed' || state.status === 'cancelled' || state.status === 'aborted';

/**
 * One step of the engine: start at the start time, move devices on from what they reported,
 * time out stuck ones, apply the error threshold, open the next wave when the current one
 * succeeded enough, start devices that pass their gates within the concurrency limit, complete.
 */
function advance(
  command: Extract<CampaignCommand, { type: 'AdvanceCampaign' }>,
  original: CampaignState,
): CampaignEvent[] {
  if (original.status !== 'approved' && original.status !== 'running' && original.status !== 'paused')
    return [];
  let state = cloneCampaignState(original);
  const events: CampaignEvent[] = [];
  const emit = (event: CampaignEvent) => {
    events.push(event);
    state = evolveCampaign(state, event, command.now);
  };
  const definition = state.definition!;
  const { campaignId } = definition;
  const now = Date.parse(command.now);

  if (state.status === 'approved') {
    if (definition.startAt && now < Date.parse(definition.startAt)) return [];
    emit({ type: 'CampaignStarted', data: { campaignId, waves: state.waves, devices: state.devices.size } });
    emit({ type: 'WaveStarted', data: { campaignId, wave: 0, devices: countWave(state, 0) } });
  }
  for (const device of state.devices.values()) {
    if (IN_PROGRESS.has(device.status)) {
      progress(device, command.observations.get(device.deviceId), definition, command, emit);
    }
  }
  if (state.status !== 'running') return events;
  if (definition.endAt && now >= Date.parse(definition.endAt)) {
    emit(completed(state, 'the campaign reached its end time'));
    return events;
  }
  if (checkErrorThreshold(state, emit)) return events;
  // Each helper folds what it emits onto `state`; they read it back through this view.
  const view = () => state;
  openNextWaves(view, emit);
  if (view().status !== 'running') return events;
  startDevices(state, command, emit);
  // Devices that were already on the target version may have finished a wave just now.
  openNextWaves(view, emit);
  return events;
}

function countWave(state: CampaignState, wave: number): number {
  let n = 0;
  for (const d of state.devices.values()) if (d.wave === wave) n++;
  return n;
}

function completed(state: CampaignState, reason: string): CampaignEvent {
  const counts = countByStatus(state);
  return {
    type: 'CampaignCompleted',
    data: {
      campaignId: state.definition!.campaignId,
      succeeded: counts.succeeded,
      failed: counts.failed,
      notUpdated: state.devices.size - counts.succeeded - counts.failed,
      reason,
    },
  };
}

/** Failed ÷ finished devices of the current wave; pauses or aborts at the threshold. */
function checkErrorThreshold(state: CampaignState, emit: (e: CampaignEvent) => void): boolean {
  const { percent, minimumFinished, action } = state.definition!.errorThreshold;
  const counts = countByStatus(state, state.wave);
  const failed = counts.failed + counts.retrying;
  const finished = failed + counts.succeeded;
  if (finished < minimumFinished || failed * 100 < percent * finished) return false;
  const rate = Math.round((failed * 1000) / finished) / 10;
  const reason = `error threshold reached in wave ${state.wave + 1}: ${failed} of ${finished} finished devices failed (${rate} % ≥ ${percent} %)`;
  const campaignId = state.definition!.campaignId;
  emit(
    action === 'abort'
      ? { type: 'CampaignAborted', data: { campaignId, reason } }
      : { type: 'CampaignPaused', data: { campaignId, reason, wave: state.wave, byOperator: false } },
  );
  return true;
}

/** A wave whose devices succeeded at least the success threshold opens the next; the last one completes the campaign once every device finished. */
function openNextWaves(view: () => CampaignState, emit: (e: CampaignEvent) => void): void {
  const definition = view().definition!;
  const { campaignId } = definition;
  for (;;) {
    const state = view();
    if (state.status !== 'running') return;
    const size = countWave(state, state.wave);
    const counts = countByStatus(state, state.wave);
    const passed = size === 0 || counts.succeeded * 100 >= definition.successThresholdPercent * size;
    if (!passed) return;
    if (state.wave < state.waves - 1) {
      emit({
        type: 'WaveCompleted',
        data: { campaignId, wave: state.wave, succeeded: counts.succeeded, failed: counts.failed },
      });
      emit({
        type: 'WaveStarted',
        data: { campaignId, wave: state.wave + 1, devices: countWave(state, state.wave + 1) },
      });
      continue;
    }
    const all = countByStatus(state);
    const everyoneFinished = all.succeeded + all.failed === state.devices.size;
    if (everyoneFinished && definition.mode === 'snapshot') {
      emit({
        type: 'WaveCompleted',
        data: { campaignId, wave: state.wave, succeeded: counts.succeeded, failed: counts.failed },
      });
      emit(completed(state, 'every device finished'));
    }
    return;
  }
}

function startDevices(
  state: CampaignState,
  command: Extract<CampaignCommand, { type: 'AdvanceCampaign' }>,
  emit: (e: CampaignEvent) => void,
): void {
  const definition = state.definition!;
  const now = Date.parse(command.now);
  let capacity = definition.maxConcurrency;
  for (const d of state.devices.values()) if (IN_PROGRESS.has(d.status)) capacity--;
  for (const device of state.devices.values()) {
    if (capacity <= 0) return;
    if (device.wave > state.wave || !isDue(device, now)) continue;
    if (device.status === 'gated' && !heldOffLongEnough(device, definition, now)) continue;
    // Only devices the caller observed are considered (see devicesToObserve): never start one blind.
    const observation = command.observations.get(device.deviceId);
    if (!observation) continue;
    const target = definition.artifact.version;
    const base = { campaignId: definition.campaignId, deviceId: device.deviceId, attempt: device.attempt };
    if (observation?.firmwareVersion?.value === target) {
      emit({ type: 'DeviceUpdateSucceeded', data: { ...base, firmwareVersion: target } });
      continue;
    }
    const gate = gateOf(definition, observation, now);
    if (gate) {
      if (device.gate?.gate !== gate.gate || device.gate.reason !== gate.reason) {
        emit({ type: 'DeviceUpdateGated', data: { ...base, ...gate } });
      }
      continue;
    }
    const attempt = device.attempt + 1;
    emit({
      type: 'DeviceUpdateStarted',
      data: {
        ...base,
        attempt,
        observeCommandId: command.commandId(device.deviceId, attempt, 'observe'),
        writeCommandId: command.commandId(device.deviceId, attempt, 'write-uri'),
      },
    });
    capacity--;
  }
}

/** Devices due to start that one step looks at, and gated devices it re-checks. */
const candidateBudget = (capacity: number) => Math.max(capacity, 0) * 4 + 16;

/**
 * The devices whose observations the next AdvanceCampaign needs: every started device, and the
 * first devices due to start (as many as a step looks at). The runner loads only these, so a step
 * costs the same for 1,000 or 1,000,000 targets.
 */
export function devicesToObserve(
  state: CampaignState,
  now: string,
  gatedOffset = 0,
): { readonly deviceIds: string[]; readonly gated: number } {
  const definition = state.definition;
  if (!definition) return { deviceIds: [], gated: 0 };
  const at = Date.parse(now);
  const ids: string[] = [];
  const gated: string[] = [];
  let started = 0;
  for (const d of state.devices.values()) if (IN_PROGRESS.has(d.status)) started++;
  const budget = candidateBudget(definition.maxConcurrency - started);
  let due = 0;
  // Waves open within a step: the next wave's devices are candidates too.
  const lastWave = Math.max(state.wave, 0) + 1;
  for (const d of state.devices.values()) {
    if (IN_PROGRESS.has(d.status)) ids.push(d.deviceId);
    else if (d.wave > lastWave) continue;
    else if (d.status === 'gated') gated.push(d.deviceId);
    else if (due < budget && isDue(d, at)) {
      ids.push(d.deviceId);
      due++;
    }
  }
  // Gated devices take turns, so a crowd of flat batteries at the front cannot starve the rest.
  for (let i = 0; i < Math.min(budget, gated.length); i++) ids.push(gated[(gatedOffset + i) % gated.length]!);
  return { deviceIds: ids, gated: gated.length };
}

const isDue = (d: DeviceProgress, at: number) =>
  d.status === 'pending' ||
  d.status === 'gated' ||
  (d.status === 'retrying' && d.retryAt !== null && Date.parse(d.retryAt) <= at);

/** Gates the orchestrator checks itself are checked again at once; a dispatcher's refusal is retried after the retry delay. */
const LOCAL_GATES: ReadonlySet<Gate> = new Set([
  'battery',
  'already-updating',
  'maintenance-window',
  'device-status',
]);

function heldOffLongEnough(device: DeviceProgress, definition: CampaignDefinition, now: number): boolean {
  if (!device.gate || LOCAL_GATES.has(device.gate.gate)) return true;
  return now >= Date.parse(device.since) + definition.retry.baseDelaySeconds * 1000;
}

/** The server-side gates before a device starts; unknown battery does not gate (mains-powered devices never report one). */
export function gateOf(
  definition: CampaignDefinition,
  observation: DeviceObservation | undefined,
  now: number,
): { gate: Gate; reason: string } | undefined {
  const status = observation?.status ?? null;
  if (status === 'suspended' || status === 'quarantined' || status === 'decommissioned') {
    return { gate: 'device-status', reason: `the device is ${status}` };
  }
  const battery = observation?.batteryPercent ?? null;
  if (battery !== null && battery < definition.batteryThresholdPercent) {
    return {
      gate: 'battery',
      reason: `battery ${battery} % is below the campaign's threshold of ${definition.batteryThresholdPercent} %`,
    };
  }
  // Downloading (1) or Updating (3) is an update under way; Downloaded (2) waits for an install
  // (a failed one leaves it there), and writing a new Package URI replaces that package.
  const state = observation?.updateState?.value ?? 0;
  if (state === 1 || state === 3) {
    const what = state === 1 ? 'Downloading' : 'Updating';
    return {
      gate: 'already-updating',
      reason: `the device reports firmware update state ${state} (${what})`,
    };
  }
  if (!insideWindow(definition.maintenanceWindow, now)) {
    const w = definition.maintenanceWindow!;
    return {
      gate: 'maintenance-window',
      reason: `outside the maintenance window "${w.cron}" (${w.timeZone}, ${w.durationMinutes} min)`,
    };
  }
  return undefined;
}

/** Moves one started device on from what it reported since its attempt started. */
function progress(
  device: DeviceProgress,
  observation: DeviceObservation | undefined,
  definition: CampaignDefinition,
  command: Extract<CampaignCommand, { type: 'AdvanceCampaign' }>,
  emit: (e: CampaignEvent) => void,
): void {
  const now = Date.parse(command.now);
  const startedAt = Date.parse(device.startedAt ?? device.since);
  const fresh = <T>(r: Reported<T> | null | undefined) =>
    r && Date.parse(r.at) >= startedAt ? r.value : undefined;
  const base = { campaignId: definition.campaignId, deviceId: device.deviceId, attempt: device.attempt };
  const stage = device.status as UpdateStage;
  const fail = (reason: string, resultCode: number | null, retriable: boolean) => {
    const canRetry = retriable && device.failures + 1 < definition.retry.maxAttempts;
    const delay = Math.min(
      definition.retry.baseDelaySeconds * 1000 * 2 ** device.failures,
      MAX_RETRY_DELAY_MS,
    );
    emit({
      type: 'DeviceUpdateFailed',
      data: {
        ...base,
        stage,
        resultCode,
        reason,
        retriable,
        retryAt: canRetry ? new Date(now + delay).toISOString() : null,
      },
    });
  };

  for (const id of device.commandIds) {
    const outcome = observation?.commands.get(id);
    if (!outcome || outcome.status === 'succeeded') continue;
    if (outcome.status === 'refused') {
      // A gate of the dispatcher (air time, battery, status): the device waits, it did not fail.
      return emit({
        type: 'DeviceUpdateGated',
        data: {
          ...base,
          gate: dispatcherGate(outcome.gate),
          reason: outcome.reason ?? 'refused by the dispatcher',
        },
      });
    }
    const why = outcome.reason ? `: ${outcome.reason}` : '';
    return fail(
      `the ${stepName(device, id)} command ${outcome.status}${why}`,
      null,
      outcome.status === 'expired',
    );
  }
  const version = fresh(observation?.firmwareVersion);
  if (version === definition.artifact.version && stage !== 'downloading') {
    return emit({ type: 'DeviceUpdateSucceeded', data: { ...base, firmwareVersion: version } });
  }
  const result = fresh(observation?.updateResult);
  if (result !== undefined && result >= 2) {
    const known = UPDATE_RESULTS[result];
    return fail(
      `the device reported update result ${result} (${known?.name ?? 'unknown'})`,
      result,
      known?.retriable ?? false,
    );
  }
  const state = fresh(observation?.updateState);
  const timeouts = definition.stageTimeoutSeconds;
  const since = Date.parse(device.since);
  switch (stage) {
    case 'downloading':
      if (state === 3)
        return fail(
          'impossible transition: the device reports Updating before it was told to install',
          null,
          false,
        );
      if (state === 2) {
        emit({ type: 'DeviceUpdateProgressed', data: { ...base, stage: 'downloaded' } });
        return emit({
          type: 'DeviceInstallRequested',
          data: { ...base, commandId: command.commandId(device.deviceId, device.attempt, 'execute') },
        });
      }
      if (now - since > timeouts.download * 1000)
        return fail(`no download within ${timeouts.download} s`, null, true);
      return;
    case 'downloaded':
      if (state === 3) return emit({ type: 'DeviceUpdateProgressed', data: { ...base, stage: 'updating' } });
      if (now - since > timeouts.install * 1000)
        return fail(`no install within ${timeouts.install} s`, null, true);
      return;
    case 'updating':
      if (version !== undefined && version === device.fromVersion && observation?.updateState?.value === 0) {
        return fail(
          `the device came back on ${version}, not ${definition.artifact.version}`,
          result ?? null,
          true,
        );
      }
      if (now - since > timeouts.verify * 1000) {
        return fail(
          `the device did not report ${definition.artifact.version} within ${timeouts.verify} s`,
          null,
          true,
        );
      }
      return;
    default: {
      const unknown: never = stage;
      throw new Error(`unknown stage ${String(unknown)}`);
    }
  }
}

function stepName(device: DeviceProgress, commandId: string): string {
  const index = device.commandIds.indexOf(commandId);
  return ['observe', 'package URI write', 'install'][index] ?? 'campaign';
}

function dispatcherGate(gate: string | null): Gate {
  if (gate === 'battery' || gate === 'airtime' || gate === 'device-status') return gate;
  if (gate === 'firmware-update') return 'already-updating';
  return 'dispatcher';
}
