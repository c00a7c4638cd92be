import { createHash } from 'node:crypto';
import { gpsSecondsOf } from '@fleet/lorawan-fuota';
import { planSession, type SessionPlan } from './multicast-plan';
import {
  evolve,
  replay,
  type MulticastSessionEvent,
  type MulticastSessionState,
  type SessionPolicy,
} from './multicast-session';
import { decide, type DeviceUplink, type MulticastSessionCommand } from './multicast-session.decide';
import { sessionView } from './session-view';
import { descriptorOf, startSession } from './start-session';

const T0 = Date.parse('2026-03-01T10:00:00.200Z');
const POLICY: SessionPolicy = {
  fragmentIntervalMs: 10,
  startGuardMs: 1_000,
  statusWindowMs: 2_000,
  verifyTimeoutMs: 5_000,
  maxMulticastRounds: 3,
  unicastRepairMaxFragments: 20,
  unicastRepairMaxPerDevice: 40,
  unicastRepairAttempts: 2,
  unicastAnswerWindowMs: 3_000,
};

function plan(): SessionPlan {
  const outcome = planSession({
    blockBytes: 2_390,
    dataRate: 5,
    frequencyHz: 869_525_000,
    redundancyPercent: 10,
    expectedLossPercent: 5,
    fragmentBytes: null,
    maxSessionSeconds: 3_600,
  });
  if (!outcome.feasible) throw new Error(outcome.reasons.join());
  return outcome.plan;
}

/** A session of `count` devices (dev-0...), planned at T0. */
function planned(count = 3): { state: MulticastSessionState; events: MulticastSessionEvent[] } {
  const event = startSession({
    sessionId: 's-1',
    nowMs: T0,
    devices: Array.from({ length: count }, (_, i) => ({
      deviceId: `dev-${i}`,
      devEui: `00000000000000${String(i).padStart(2, '0')}`,
      model: 'FW-LORA-METER',
    })),
    artifact: { artifactId: null, version: '2.0.0', sha256: 'ab'.repeat(32), bytes: 2_390 },
    plan: plan(),
    mcAddr: '01a2b3c4',
    setupWindowMs: 5_000,
    policy: POLICY,
    blockAckDelay: 0,
  });
  return { state: evolve({ status: 'none' }, event) as MulticastSessionState, events: [event] };
}

/** Applies a command, keeping the events; returns the new state and the command's events. */
function run(
  session: { state: MulticastSessionState; events: MulticastSessionEvent[] },
  command: MulticastSessionCommand,
): MulticastSessionEvent[] {
  const events = decide(session.state, command);
  session.events.push(...events);
  session.state = events.reduce(evolve, session.state) as MulticastSessionState;
  return events;
}

const uplink = (deviceId: string, up: DeviceUplink, nowMs = T0 + 1_000): MulticastSessionCommand => ({
  type: 'ReceiveUplink',
  deviceId,
  uplink: up,
  nowMs,
});
const setupAccepted = (deviceId: string): MulticastSessionCommand[] => [
  uplink(deviceId, {
    kind: 'multicast-setup',
    commands: [{ type: 'McGroupSetupAns', mcGroupId: 0, idError: false }],
  }),
  uplink(deviceId, {
    kind: 'fragmentation',
    commands: [
      {
        type: 'FragSessionSetupAns',
        fragIndex: 0,
        encodingUnsupported: false,
        notEnoughMemory: false,
        fragSessionIndexNotSupported: false,
        wrongDescriptor: false,
      },
    ],
  }),
  uplink(deviceId, {
    kind: 'multicast-setup',
    commands: [
      {
        type: 'McClassCSessionAns',
        mcGroupId: 0,
        dataRateError: false,
        frequencyError: false,
        mcGroupUndefined: false,
        timeToStart: 4,
      },
    ],
  }),
];
const status = (deviceId: string, received: number, missing: number, nowMs: number) =>
  uplink(
    deviceId,
    {
      kind: 'fragmentation',
      commands: [
        {
          type: 'FragSessionStatusAns',
          fragIndex: 0,
          nbFragReceived: received,
          missingFrag: missing,
          notEnoughMatrixMemory: false,
        },
      ],
    },
    nowMs,
  );
const version = (deviceId: string, v: string, nowMs: number) =>
  uplink(deviceId, { kind: 'firmware-version', version: v }, nowMs);

describe('starting a multicast session', () => {
  it('given a plan, when started, then SessionTime is the next whole second after the setup window, in GPS seconds, and fragments come after the guard', () => {
    const { state } = planned();

    expect(state.group.sessionStartsAt).toBe('2026-03-01T10:00:06.000Z');
    expect(state.group.sessionTime).toBe(gpsSecondsOf(Date.parse('2026-03-01T10:00:06Z')));
    expect(state.multicastStartsAtMs).toBe(Date.parse('2026-03-01T10:00:07Z'));
    expect(state.group.descriptor).toBe(0xabababab);
    expect(state.status).toBe('setting-up');
  });

  it('given no pacing override, when started, then fragments are one duty-cycle slot apart', () => {
    const event = startSession({
      ...{ sessionId: 's', nowMs: T0, devices: [{ deviceId: 'd', devEui: '0000000000000001', model: 'm' }] },
      artifact: { artifactId: null, version: '2', sha256: 'ab'.repeat(32), bytes: 2_390 },
      plan: plan(),
      mcAddr: '01a2b3c4',
      setupWindowMs: 0,
      policy: { ...POLICY, fragmentIntervalMs: null },
      blockAckDelay: 0,
    });

    const { plan: p, policy } = (event as Extract<MulticastSessionEvent, { type: 'MulticastSessionPlanned' }>)
      .data;
    expect(policy.fragmentIntervalMs).toBe(Math.ceil(p.airtimePerFragmentMs / 0.1));
  });

  it('given a digest, when its descriptor is taken, then it is its first 4 bytes little-endian', () => {
    const digest = createHash('sha256').update('x').digest();

    expect(descriptorOf(digest.toString('hex'))).toBe(digest.readUInt32LE(0));
    expect(descriptorOf(digest.toString('hex'))).toBe(0x4216712d);
  });
});

describe('deciding a multicast session', () => {
  it('given a device asking for the time, when answered, then the correction brings its clock to the server’s', () => {
    const session = planned();

    const events = run(
      session,
      uplink(
        'dev-0',
        {
          kind: 'clock-sync',
          commands: [
            { type: 'AppTimeReq', deviceTime: gpsSecondsOf(T0) - 7, tokenReq: 3, ansRequired: true },
          ],
        },
        T0,
      ),
    );

    expect(events).toEqual([
      {
        type: 'MulticastDeviceClockSynced',
        data: expect.objectContaining({ deviceId: 'dev-0', timeCorrection: 7, token: 3 }),
      },
    ]);
  });

  it('given two devices set up and one silent, when SessionTime passes, then the silent one fails naming the missing answers and the first round goes out', () => {
    const session = planned();
    for (const id of ['dev-0', 'dev-1']) for (const c of setupAccepted(id)) run(session, c);
    run(session, setupAccepted('dev-2')[0]!);

    expect(run(session, { type: 'Tick', nowMs: session.state.multicastStartsAtMs - 1 })).toEqual([]);
    const events = run(session, { type: 'Tick', nowMs: session.state.multicastStartsAtMs });

    expect(events).toEqual([
      {
        type: 'MulticastDeviceFailed',
        data: {
          sessionId: 's-1',
          deviceId: 'dev-2',
          reason:
            'did not accept the multicast setup before SessionTime (no FragSessionSetupAns, McClassCSessionAns)',
        },
      },
      {
        type: 'MulticastRoundScheduled',
        data: { sessionId: 's-1', round: 1, firstN: 1, lastN: 11, kind: 'initial' },
      },
    ]);
    expect(session.state.devices['dev-0']!.phase).toBe('receiving');
  });

  it('given a device refusing the fragmentation session, when it answers, then it fails with the reason', () => {
    const session = planned(1);

    const events = run(session, {
      ...uplink('dev-0', {
        kind: 'fragmentation',
        commands: [
          {
            type: 'FragSessionSetupAns',
            fragIndex: 0,
            encodingUnsupported: false,
            notEnoughMemory: true,
            fragSessionIndexNotSupported: false,
            wrongDescriptor: false,
          },
        ],
      }),
    });

    expect(events.map((e) => e.type)).toEqual(['MulticastDeviceFailed', 'MulticastSessionFinished']);
    expect(session.state.devices['dev-0']!.reason).toBe(
      'refused FragSessionSetupReq: not enough memory for 2390 bytes',
    );
    expect(session.state.status).toBe('finished');
  });

  /** Three devices through the first round; returns the time the status window closes. */
  function throughFirstRound(session: ReturnType<typeof planned>): number {
    for (const id of Object.keys(session.state.devices)) for (const c of setupAccepted(id)) run(session, c);
    run(session, { type: 'Tick', nowMs: session.state.multicastStartsAtMs });
    const sentAt = session.state.multicastStartsAtMs + 110;
    run(session, { type: 'RecordRoundSent', round: 1, nowMs: sentAt });
    return sentAt + POLICY.statusWindowMs;
  }

  it('given devices missing many fragments after the first round, when the status window closes, then an extra multicast round sized for the neediest goes out', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-0', 11, 0, due - 1_000));
    run(session, status('dev-1', 5, 6, due - 900));
    run(session, { ...status('dev-2', 3, 8, due - 800) });
    session.state = { ...session.state, policy: { ...session.state.policy, unicastRepairMaxFragments: 5 } };

    const events = run(session, { type: 'Tick', nowMs: due });

    expect(events[0]).toEqual({
      type: 'MulticastStatusCollected',
      data: { sessionId: 's-1', round: 1, decoded: 1, missingFragments: 2, unanswered: 0 },
    });
    // dev-2 got 3 of 11 (73 % loss): (8 + 2) / (1 − 0.727) → 37 coded fragments from N = 12.
    expect(events[1]).toEqual({
      type: 'MulticastRoundScheduled',
      data: { sessionId: 's-1', round: 2, firstN: 12, lastN: 48, kind: 'extra-redundancy' },
    });
  });

  it('given few fragments missing, when the status window closes, then each device gets them in unicast and a silent device is asked again', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-0', 11, 0, due - 1_000));
    run(session, status('dev-1', 9, 2, due - 900));

    const events = run(session, { type: 'Tick', nowMs: due });

    expect(events.slice(1)).toEqual([
      {
        type: 'MulticastUnicastRepairScheduled',
        data: {
          sessionId: 's-1',
          deviceId: 'dev-1',
          firstN: 12,
          lastN: 15,
          attempt: 1,
          answerDueAtMs: due + 3_000,
        },
      },
      {
        type: 'MulticastUnicastRepairScheduled',
        data: {
          sessionId: 's-1',
          deviceId: 'dev-2',
          firstN: 16,
          lastN: 15,
          attempt: 1,
          answerDueAtMs: due + 3_000,
        },
      },
    ]);
  });

  it('given a repaired device reporting the block and then the new version, when it does, then it is verified as repaired by unicast', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-1', 9, 2, due - 900));
    run(session, { type: 'Tick', nowMs: due });

    run(session, status('dev-1', 13, 0, due + 500));
    run(session, version('dev-1', '2.0.0', due + 800));

    expect(session.state.devices['dev-1']).toMatchObject({
      phase: 'verified',
      repairedBy: 'unicast',
      decodedInRound: 1,
    });
  });

  it('given a device still missing fragments after its last unicast attempt, when it answers, then it fails', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-1', 9, 2, due - 900));
    run(session, { type: 'Tick', nowMs: due });
    run(session, status('dev-1', 10, 1, due + 500));

    const events = run(session, status('dev-1', 11, 1, due + 900));

    expect(events.map((e) => e.type)).toEqual(['MulticastDeviceStatusReported', 'MulticastDeviceFailed']);
    expect(session.state.devices['dev-1']!.reason).toBe('still misses 1 fragments after 2 unicast repairs');
  });

  it('given a device that has the block, when it restarts on its old version, then it fails: it did not apply the package', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-0', 11, 0, due - 1_000));

    run(session, version('dev-0', '1.4.2', due - 500));

    expect(session.state.devices['dev-0']!.reason).toMatch(/restarted on version 1\.4\.2, not 2\.0\.0/);
  });

  it('given a device that has the block and never reports, when the verification time passes, then it fails', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, status('dev-0', 11, 0, due - 1_000));

    run(session, { type: 'Tick', nowMs: due - 1_000 + POLICY.verifyTimeoutMs + 1 });

    expect(session.state.devices['dev-0']!.reason).toBe(
      'has the whole package but did not report version 2.0.0 within 5 s',
    );
  });

  it('given every device verified in the first round, when the last one reports, then the session finishes with the count, and replaying its events rebuilds the same state', () => {
    const session = planned();
    const due = throughFirstRound(session);
    run(session, version('dev-0', '2.0.0', due - 1_500));
    run(session, version('dev-1', '2.0.0', due - 1_400));

    const events = run(session, version('dev-2', '2.0.0', due - 1_300));

    expect(events.at(-1)).toEqual({
      type: 'MulticastSessionFinished',
      data: { sessionId: 's-1', verified: 3, failed: 0 },
    });
    expect(sessionView(session.state).summary).toMatchObject({
      firstPass: 3,
      repairedByMulticast: 0,
      repairedByUnicast: 0,
    });
    expect(replay(session.events)).toEqual(session.state);
    expect(decide(session.state, { type: 'Tick', nowMs: due + 60_000 })).toEqual([]);
  });
});
