import { assertNever } from '@fleet/core';
import type {
  MulticastSessionEvent,
  MulticastSessionPlannedData,
  SessionDevice,
  SetupAnswer,
} from './multicast-session-events';

export * from './multicast-session-events';

/** Where one device is in the session. */
export type DevicePhase =
  /** Setup commands sent, answers pending. */
  | 'setting-up'
  /** All three setup commands accepted: it will listen at SessionTime. */
  | 'ready'
  /** In the multicast, without the whole block yet. */
  | 'receiving'
  /** A unicast repair (coded fragments and a status request) waits for its answer. */
  | 'repairing'
  /** Reported the whole block; its new firmware version is awaited. */
  | 'decoded'
  | 'verified'
  | 'failed';

export interface DeviceProgress extends SessionDevice {
  readonly phase: DevicePhase;
  readonly setupAnswers: readonly SetupAnswer[];
  readonly clockSynced: boolean;
  /** Latest FragSessionStatusAns, with the multicast round it answered. */
  readonly lastStatus: { readonly round: number; readonly received: number; readonly missing: number } | null;
  /** The multicast round during which the device got the block (1: the first pass). */
  readonly decodedInRound: number | null;
  readonly decodedAtMs: number | null;
  /** How the device got what the first pass missed. */
  readonly repairedBy: 'multicast' | 'unicast' | null;
  readonly unicastRepairs: number;
  /** The pending unicast repair's answer deadline. */
  readonly repairDueAtMs: number | null;
  readonly firmwareVersion: string | null;
  readonly reason: string | null;
}

export type SessionStatus =
  | 'none'
  | 'setting-up'
  | 'multicasting'
  | 'collecting-status'
  /** No multicast any more: unicast repairs and version reports are awaited. */
  | 'completing'
  | 'finished';

export interface MulticastSessionState extends Omit<MulticastSessionPlannedData, 'devices'> {
  readonly status: SessionStatus;
  readonly devices: Readonly<Record<string, DeviceProgress>>;
  /** Current multicast round (0 before the first). */
  readonly round: number;
  /** Fragments multicast so far, every round together. */
  readonly multicastFragments: number;
  /** Fragments of the current (or last) round. */
  readonly roundFragments: number;
  /** The next DataFragment N nobody has been sent: coded fragments of repairs continue from here. */
  readonly nextN: number;
  readonly statusDueAtMs: number | null;
  /** Device of each DevEUI, for uplinks. */
  readonly byDevEui: Readonly<Record<string, string>>;
}

export type NoSession = { readonly status: 'none' };
export type AnySessionState = NoSession | MulticastSessionState;
export const initialMulticastSessionState: NoSession = { status: 'none' };

const TERMINAL: readonly DevicePhase[] = ['verified', 'failed'];
export const isTerminal = (device: DeviceProgress): boolean => TERMINAL.includes(device.phase);

export function evolve(state: AnySessionState, event: MulticastSessionEvent): AnySessionState {
  if (event.type === 'MulticastSessionPlanned') return planned(event.data);
  if (state.status === 'none') return state;
  const s = state;
  const device = (id: string, change: (d: DeviceProgress) => Partial<DeviceProgress>) => {
    const before = s.devices[id];
    return before ? { ...s.devices, [id]: { ...before, ...change(before) } } : s.devices;
  };
  switch (event.type) {
    case 'MulticastDeviceClockSynced':
      return { ...s, devices: device(event.data.deviceId, () => ({ clockSynced: true })) };
    case 'MulticastDeviceSetupAnswered':
      return {
        ...s,
        devices: device(event.data.deviceId, (d) => {
          const setupAnswers = d.setupAnswers.includes(event.data.answer)
            ? d.setupAnswers
            : [...d.setupAnswers, event.data.answer];
          const complete = setupAnswers.length === 3 && d.phase === 'setting-up';
          return { setupAnswers, ...(complete && { phase: 'ready' as const }) };
        }),
      };
    case 'MulticastRoundScheduled': {
      const { round, firstN, lastN } = event.data;
      const devices =
        round === 1
          ? mapDevices(s.devices, (d) => (d.phase === 'ready' ? { ...d, phase: 'receiving' } : d))
          : s.devices;
      return {
        ...s,
        status: 'multicasting',
        round,
        devices,
        roundFragments: lastN - firstN + 1,
        nextN: Math.max(s.nextN, lastN + 1),
      };
    }
    case 'MulticastRoundSent':
      return {
        ...s,
        status: 'collecting-status',
        statusDueAtMs: event.data.statusDueAtMs,
        multicastFragments: s.multicastFragments + event.data.fragments,
      };
    case 'MulticastDeviceStatusReported': {
      const { round, received, missing, atMs } = event.data;
      return {
        ...s,
        devices: device(event.data.deviceId, (d) => {
          const lastStatus = { round, received, missing };
          if (missing > 0 || (d.phase !== 'receiving' && d.phase !== 'repairing')) return { lastStatus };
          return {
            lastStatus,
            phase: 'decoded',
            decodedAtMs: atMs,
            decodedInRound: d.decodedInRound ?? round,
            repairedBy: repairOf(d, round),
            repairDueAtMs: null,
          };
        }),
      };
    }
    case 'MulticastStatusCollected':
      return { ...s, status: 'completing', statusDueAtMs: null };
    case 'MulticastUnicastRepairScheduled':
      return {
        ...s,
        nextN: Math.max(s.nextN, event.data.lastN + 1),
        devices: device(event.data.deviceId, (d) => ({
          phase: 'repairing',
          unicastRepairs: d.unicastRepairs + 1,
          repairDueAtMs: event.data.answerDueAtMs,
        })),
      };
    case 'MulticastDeviceVerified':
      return {
        ...s,
        devices: device(event.data.deviceId, (d) => ({
          phase: 'verified',
          firmwareVersion: event.data.firmwareVersion,
          decodedInRound: d.decodedInRound ?? s.round,
          repairedBy: d.decodedInRound === null ? repairOf(d, s.round) : d.repairedBy,
          repairDueAtMs: null,
        })),
      };
    case 'MulticastDeviceFailed':
      return {
        ...s,
        devices: device(event.data.deviceId, () => ({
          phase: 'failed',
          reason: event.data.reason,
          repairDueAtMs: null,
        })),
      };
    case 'MulticastSessionFinished':
      return { ...s, status: 'finished' };
    default:
      return assertNever(event);
  }
}

function planned(data: MulticastSessionPlannedData): MulticastSessionState {
  const { devices, ...rest } = data;
  const progress: Record<string, DeviceProgress> = {};
  const byDevEui: Record<string, string> = {};
  for (const d of devices) {
    byDevEui[d.devEui] = d.deviceId;
    progress[d.deviceId] = {
      ...d,
      phase: 'setting-up',
      setupAnswers: [],
      clockSynced: false,
      lastStatus: null,
      decodedInRound: null,
      decodedAtMs: null,
      repairedBy: null,
      unicastRepairs: 0,
      repairDueAtMs: null,
      firmwareVersion: null,
      reason: null,
    };
  }
  return {
    ...rest,
    status: 'setting-up',
    devices: progress,
    round: 0,
    multicastFragments: 0,
    roundFragments: 0,
    nextN: 1,
    statusDueAtMs: null,
    byDevEui,
  };
}

/** A device that got the block after the first pass was repaired: by a unicast repair or a later round. */
function repairOf(device: DeviceProgress, round: number): DeviceProgress['repairedBy'] {
  if (device.phase === 'repairing' || device.unicastRepairs > 0) return 'unicast';
  return round > 1 ? 'multicast' : null;
}

function mapDevices(
  devices: Readonly<Record<string, DeviceProgress>>,
  change: (device: DeviceProgress) => DeviceProgress,
): Record<string, DeviceProgress> {
  const out: Record<string, DeviceProgress> = {};
  for (const [id, d] of Object.entries(devices)) out[id] = change(d);
  return out;
}

/** The state after these events, from nothing: how a session is recovered from its stream. */
export function replay(events: readonly MulticastSessionEvent[]): AnySessionState {
  return events.reduce(evolve, initialMulticastSessionState as AnySessionState);
}
