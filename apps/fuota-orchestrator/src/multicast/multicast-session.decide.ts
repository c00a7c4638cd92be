import { IllegalStateError } from '@fleet/core';
import {
  MAX_FRAGMENTS_PER_SESSION,
  timeCorrectionFor,
  type ClockSyncUplink,
  type FragmentationUplink,
  type MulticastSetupUplink,
} from '@fleet/lorawan-fuota';
import {
  evolve,
  isTerminal,
  SETUP_ANSWERS,
  type DeviceProgress,
  type MulticastSessionEvent,
  type MulticastSessionState,
} from './multicast-session';
import { chooseRepair, neededFragments, UNICAST_MARGIN, type RepairCandidate } from './repair-policy';

/** What a device sent that the session cares about, decoded from its uplink. */
export type DeviceUplink =
  | { readonly kind: 'clock-sync'; readonly commands: readonly ClockSyncUplink[] }
  | { readonly kind: 'multicast-setup'; readonly commands: readonly MulticastSetupUplink[] }
  | { readonly kind: 'fragmentation'; readonly commands: readonly FragmentationUplink[] }
  /** The device (re)started and reported its firmware version (`/3/0/3`). */
  | { readonly kind: 'firmware-version'; readonly version: string };

export type MulticastSessionCommand =
  /** Time passed: deadlines (session start, status window, repairs, verification) are checked. */
  | { readonly type: 'Tick'; readonly nowMs: number }
  /** The runner multicast the round's last fragment. */
  | { readonly type: 'RecordRoundSent'; readonly round: number; readonly nowMs: number }
  | {
      readonly type: 'ReceiveUplink';
      readonly deviceId: string;
      readonly uplink: DeviceUplink;
      readonly nowMs: number;
    };

type Events = MulticastSessionEvent[];

/** What happens next in a session, from what it knows; pure (time comes with the command). */
export function decide(state: MulticastSessionState, command: MulticastSessionCommand): Events {
  if (state.status === 'finished') return [];
  const events = decisionOf(state, command);
  return [...events, ...finishIfDone(events.reduce(evolve, state) as MulticastSessionState)];
}

function decisionOf(state: MulticastSessionState, command: MulticastSessionCommand): Events {
  switch (command.type) {
    case 'Tick':
      return tick(state, command.nowMs);
    case 'RecordRoundSent': {
      if (state.status !== 'multicasting' || command.round !== state.round) return [];
      const statusDueAtMs = command.nowMs + state.policy.statusWindowMs;
      const round = state.round;
      const fragments = state.roundFragments;
      return [
        { type: 'MulticastRoundSent', data: { sessionId: state.sessionId, round, fragments, statusDueAtMs } },
      ];
    }
    case 'ReceiveUplink': {
      const device = state.devices[command.deviceId];
      if (!device || isTerminal(device)) return [];
      return receive(state, device, command.uplink, command.nowMs);
    }
    default:
      throw new IllegalStateError(`unknown command ${(command as { type: string }).type}`);
  }
}

function tick(state: MulticastSessionState, nowMs: number): Events {
  if (state.status === 'setting-up') return nowMs >= state.multicastStartsAtMs ? startMulticast(state) : [];
  const events: Events =
    state.status === 'collecting-status' && state.statusDueAtMs !== null && nowMs >= state.statusDueAtMs
      ? collectStatus(state, nowMs)
      : [];
  const after = events.reduce(evolve, state) as MulticastSessionState;
  for (const device of Object.values(after.devices)) events.push(...deviceDeadlines(after, device, nowMs));
  return events;
}

/** SessionTime has come: devices that did not accept the whole setup are out, the others get the fragments. */
function startMulticast(state: MulticastSessionState): Events {
  const { sessionId } = state;
  const devices = Object.values(state.devices);
  const events: Events = devices
    .filter((d) => d.phase === 'setting-up')
    .map((d) => ({
      type: 'MulticastDeviceFailed',
      data: {
        sessionId,
        deviceId: d.deviceId,
        reason: `did not accept the multicast setup before SessionTime (no ${SETUP_ANSWERS.filter((a) => !d.setupAnswers.includes(a)).join(', ')})`,
      },
    }));
  if (devices.some((d) => d.phase === 'ready')) {
    const lastN = state.plan.uncodedFragments + state.plan.codedFragments;
    events.push({
      type: 'MulticastRoundScheduled',
      data: { sessionId, round: 1, firstN: 1, lastN, kind: 'initial' },
    });
  }
  return events;
}

function collectStatus(state: MulticastSessionState, nowMs: number): Events {
  const { sessionId, round } = state;
  const devices = Object.values(state.devices);
  const receiving = devices.filter((d) => d.phase === 'receiving');
  const answered = receiving.filter((d) => d.lastStatus?.round === round);
  const events: Events = [
    {
      type: 'MulticastStatusCollected',
      data: {
        sessionId,
        round,
        decoded: devices.filter((d) => d.phase === 'decoded' || d.phase === 'verified').length,
        missingFragments: answered.length,
        unanswered: receiving.length - answered.length,
      },
    },
  ];
  const candidates: RepairCandidate[] = receiving.map((d) => ({
    deviceId: d.deviceId,
    missing: d.lastStatus?.missing ?? null,
    received: d.lastStatus?.received ?? null,
  }));
  const decision = chooseRepair(candidates, {
    uncodedFragments: state.plan.uncodedFragments,
    multicastFragments: state.multicastFragments,
    round,
    policy: state.policy,
    nextN: state.nextN,
    nowMs,
    classCEndsAtMs: Date.parse(state.group.sessionStartsAt) + 2 ** state.group.sessionTimeOut * 1000,
  });
  if (decision.kind === 'multicast') {
    const firstN = state.nextN;
    events.push({
      type: 'MulticastRoundScheduled',
      data: {
        sessionId,
        round: round + 1,
        firstN,
        lastN: firstN + decision.fragments - 1,
        kind: 'extra-redundancy',
      },
    });
  } else if (decision.kind === 'unicast') {
    let nextN = state.nextN;
    for (const { deviceId, fragments } of decision.repairs) {
      const repair = unicastRepair(state, deviceId, nextN, fragments, 1, nowMs);
      if (repair.type === 'MulticastUnicastRepairScheduled') nextN = repair.data.lastN + 1;
      events.push(repair);
    }
    for (const { deviceId, reason } of decision.failures)
      events.push({ type: 'MulticastDeviceFailed', data: { sessionId, deviceId, reason } });
  }
  return events;
}

function unicastRepair(
  state: MulticastSessionState,
  deviceId: string,
  firstN: number,
  fragments: number,
  attempt: number,
  nowMs: number,
): MulticastSessionEvent {
  const lastN = firstN + fragments - 1;
  if (lastN > MAX_FRAGMENTS_PER_SESSION)
    return {
      type: 'MulticastDeviceFailed',
      data: {
        sessionId: state.sessionId,
        deviceId,
        reason: `needs ${fragments} more coded fragments but DataFragment N (14 bits) has no numbers left`,
      },
    };
  const answerDueAtMs = nowMs + state.policy.unicastAnswerWindowMs;
  return {
    type: 'MulticastUnicastRepairScheduled',
    data: { sessionId: state.sessionId, deviceId, firstN, lastN, attempt, answerDueAtMs },
  };
}

/** Another unicast repair for a device that still misses fragments (or kept silent), or its failure. */
function retryRepair(
  state: MulticastSessionState,
  device: DeviceProgress,
  nowMs: number,
  why: string,
): Events {
  const { policy, sessionId } = state;
  const needed = device.lastStatus
    ? neededFragments({ deviceId: device.deviceId, ...device.lastStatus }, state.plan.uncodedFragments)
    : null;
  const fragments = needed ? needed + UNICAST_MARGIN : 0;
  const fail = (reason: string): Events => [
    { type: 'MulticastDeviceFailed', data: { sessionId, deviceId: device.deviceId, reason } },
  ];
  if (device.unicastRepairs >= policy.unicastRepairAttempts)
    return fail(`${why} after ${device.unicastRepairs} unicast repairs`);
  if (fragments > policy.unicastRepairMaxPerDevice)
    return fail(
      `${why}: needs ${fragments - UNICAST_MARGIN}, over the unicast repair limit of ${policy.unicastRepairMaxPerDevice}`,
    );
  return [unicastRepair(state, device.deviceId, state.nextN, fragments, device.unicastRepairs + 1, nowMs)];
}

function deviceDeadlines(state: MulticastSessionState, device: DeviceProgress, nowMs: number): Events {
  const { sessionId, policy, artifact } = state;
  if (
    device.phase === 'decoded' &&
    device.decodedAtMs !== null &&
    nowMs > device.decodedAtMs + policy.verifyTimeoutMs
  )
    return [
      {
        type: 'MulticastDeviceFailed',
        data: {
          sessionId,
          deviceId: device.deviceId,
          reason: `has the whole package but did not report version ${artifact.version} within ${policy.verifyTimeoutMs / 1000} s`,
        },
      },
    ];
  if (device.phase === 'repairing' && device.repairDueAtMs !== null && nowMs > device.repairDueAtMs)
    return retryRepair(state, device, nowMs, 'did not answer the status request of its unicast repair');
  return [];
}

function receive(
  state: MulticastSessionState,
  device: DeviceProgress,
  uplink: DeviceUplink,
  nowMs: number,
): Events {
  const of = { sessionId: state.sessionId, deviceId: device.deviceId };
  const fail = (reason: string): Events => [{ type: 'MulticastDeviceFailed', data: { ...of, reason } }];
  const answered = (answer: (typeof SETUP_ANSWERS)[number], timeToStart: number | null = null): Events =>
    device.phase === 'setting-up' && !device.setupAnswers.includes(answer)
      ? [{ type: 'MulticastDeviceSetupAnswered', data: { ...of, answer, timeToStart } }]
      : [];
  switch (uplink.kind) {
    case 'clock-sync':
      return uplink.commands.flatMap((c): Events =>
        c.type === 'AppTimeReq'
          ? [
              {
                type: 'MulticastDeviceClockSynced',
                data: {
                  ...of,
                  deviceTime: c.deviceTime,
                  timeCorrection: timeCorrectionFor(c.deviceTime, nowMs),
                  token: c.tokenReq,
                },
              },
            ]
          : [],
      );
    case 'multicast-setup':
      return uplink.commands.flatMap((c): Events => {
        if (c.type === 'McGroupSetupAns')
          return c.idError
            ? fail(`refused McGroupSetupReq: McGroupID ${c.mcGroupId} is not supported (IDerror)`)
            : answered(c.type);
        if (c.type !== 'McClassCSessionAns') return [];
        const errors = [
          c.dataRateError && `data rate DR${state.plan.dataRate}`,
          c.frequencyError && `frequency ${state.plan.frequencyHz} Hz`,
          c.mcGroupUndefined && 'multicast group undefined',
        ].filter(Boolean);
        return errors.length > 0
          ? fail(`refused McClassCSessionReq: ${errors.join(', ')}`)
          : answered(c.type, c.timeToStart ?? null);
      });
    case 'fragmentation':
      return uplink.commands.flatMap((c): Events => {
        if (c.type === 'FragSessionSetupAns') {
          const errors = [
            c.encodingUnsupported && 'fragmentation matrix 0 unsupported',
            c.notEnoughMemory && `not enough memory for ${state.artifact.bytes} bytes`,
            c.fragSessionIndexNotSupported && `FragIndex ${state.group.fragIndex} unsupported`,
            c.wrongDescriptor && 'wrong descriptor',
          ].filter(Boolean);
          return errors.length > 0
            ? fail(`refused FragSessionSetupReq: ${errors.join(', ')}`)
            : answered(c.type);
        }
        return c.type === 'FragSessionStatusAns' ? status(state, device, c, nowMs) : [];
      });
    case 'firmware-version':
      if (uplink.version === state.artifact.version)
        return [{ type: 'MulticastDeviceVerified', data: { ...of, firmwareVersion: uplink.version } }];
      // Before the block is complete a version report is the device (re)starting on its old firmware.
      return device.phase === 'decoded'
        ? fail(
            `received the whole package but restarted on version ${uplink.version}, not ${state.artifact.version}: it did not apply it (verification refused?)`,
          )
        : [];
    default:
      throw new IllegalStateError(`unknown uplink ${(uplink as { kind: string }).kind}`);
  }
}

function status(
  state: MulticastSessionState,
  device: DeviceProgress,
  answer: Extract<FragmentationUplink, { type: 'FragSessionStatusAns' }>,
  nowMs: number,
): Events {
  const of = { sessionId: state.sessionId, deviceId: device.deviceId };
  if (device.phase !== 'receiving' && device.phase !== 'repairing') return [];
  if (answer.notEnoughMatrixMemory)
    return [
      {
        type: 'MulticastDeviceFailed',
        data: { ...of, reason: 'ran out of decoder memory (FragSessionStatusAns)' },
      },
    ];
  const reported: MulticastSessionEvent = {
    type: 'MulticastDeviceStatusReported',
    data: {
      ...of,
      round: state.round,
      received: answer.nbFragReceived,
      missing: answer.missingFrag,
      atMs: nowMs,
    },
  };
  if (device.phase === 'receiving' || answer.missingFrag === 0) return [reported];
  const after = evolve(state, reported) as MulticastSessionState;
  return [
    reported,
    ...retryRepair(
      after,
      after.devices[device.deviceId]!,
      nowMs,
      `still misses ${answer.missingFrag} fragments`,
    ),
  ];
}

function finishIfDone(state: MulticastSessionState): Events {
  const devices = Object.values(state.devices);
  if (state.status === 'finished' || !devices.every(isTerminal)) return [];
  const verified = devices.filter((d) => d.phase === 'verified').length;
  return [
    {
      type: 'MulticastSessionFinished',
      data: { sessionId: state.sessionId, verified, failed: devices.length - verified },
    },
  ];
}
