import type { DevicePhase, MulticastSessionState } from './multicast-session';

export interface SessionSummary {
  readonly devices: number;
  readonly byPhase: Readonly<Record<DevicePhase, number>>;
  /** Got the block from the first multicast pass, with no repair. */
  readonly firstPass: number;
  readonly repairedByMulticast: number;
  readonly repairedByUnicast: number;
  readonly unicastRepairs: number;
}

/** What `GET /multicast-sessions/:id` returns: the session, its plan and every device's progress. */
export function sessionView(state: MulticastSessionState) {
  const devices = Object.values(state.devices);
  return {
    sessionId: state.sessionId,
    status: state.status,
    artifact: state.artifact,
    plan: state.plan,
    group: state.group,
    policy: state.policy,
    round: state.round,
    multicastFragments: state.multicastFragments,
    summary: summaryOf(state),
    devices: devices.map((d) => ({
      deviceId: d.deviceId,
      devEui: d.devEui,
      phase: d.phase,
      clockSynced: d.clockSynced,
      setupAnswers: d.setupAnswers,
      received: d.lastStatus?.received ?? null,
      missing: d.lastStatus?.missing ?? null,
      decodedInRound: d.decodedInRound,
      repairedBy: d.repairedBy,
      unicastRepairs: d.unicastRepairs,
      firmwareVersion: d.firmwareVersion,
      reason: d.reason,
    })),
  };
}

export type SessionView = ReturnType<typeof sessionView>;

export function summaryOf(state: MulticastSessionState): SessionSummary {
  const devices = Object.values(state.devices);
  const byPhase: Record<DevicePhase, number> = {
    'setting-up': 0,
    ready: 0,
    receiving: 0,
    repairing: 0,
    decoded: 0,
    verified: 0,
    failed: 0,
  };
  for (const d of devices) byPhase[d.phase] += 1;
  const got = devices.filter((d) => d.decodedInRound !== null && d.phase !== 'failed');
  return {
    devices: devices.length,
    byPhase,
    firstPass: got.filter((d) => d.decodedInRound === 1 && d.repairedBy === null).length,
    repairedByMulticast: got.filter((d) => d.repairedBy === 'multicast').length,
    repairedByUnicast: got.filter((d) => d.repairedBy === 'unicast').length,
    unicastRepairs: devices.reduce((sum, d) => sum + d.unicastRepairs, 0),
  };
}
