import { FragmentDecoder, seededRandom } from '@fleet/lorawan-fuota';
import { planSession } from './multicast-plan';
import { evolve, type MulticastSessionEvent, type MulticastSessionState } from './multicast-session';
import { decide, type MulticastSessionCommand } from './multicast-session.decide';
import { fragmentPayload } from './session-frames';
import { summaryOf } from './session-view';
import { startSession } from './start-session';

/**
 * The whole loop in memory: the session's decisions, devices that decode what reaches them
 * (independent losses, seeded) and report their version once they have the block, on a virtual
 * clock. What the e2e test does over MQTT, minus the network, for many seeds in milliseconds.
 */
function simulate(options: {
  devices: number;
  loss: (i: number) => number;
  seed: number;
  redundancyPercent: number;
}) {
  const block = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919) & 0xff);
  const outcome = planSession({
    blockBytes: block.length,
    dataRate: 5,
    frequencyHz: 869_525_000,
    redundancyPercent: options.redundancyPercent,
    expectedLossPercent: 5,
    fragmentBytes: null,
    maxSessionSeconds: 3_600,
  });
  if (!outcome.feasible) throw new Error(outcome.reasons.join());
  const { plan } = outcome;
  let now = 0;
  const planned = startSession({
    sessionId: 'sim',
    nowMs: now,
    devices: Array.from({ length: options.devices }, (_, i) => ({
      deviceId: `d${i}`,
      devEui: i.toString(16).padStart(16, '0'),
      model: 'FW-LORA-METER',
    })),
    artifact: { artifactId: null, version: '2.0.0', sha256: 'cd'.repeat(32), bytes: block.length },
    plan,
    mcAddr: '0badcafe',
    setupWindowMs: 3_000,
    policy: {
      fragmentIntervalMs: 10,
      startGuardMs: 1_000,
      statusWindowMs: 2_000,
      verifyTimeoutMs: 5_000,
      maxMulticastRounds: 3,
      unicastRepairMaxFragments: 32,
      unicastRepairMaxPerDevice: 64,
      unicastRepairAttempts: 3,
      unicastAnswerWindowMs: 3_000,
    },
    blockAckDelay: 0,
  });
  let state = evolve({ status: 'none' }, planned) as MulticastSessionState;
  const log: MulticastSessionEvent[] = [planned];
  const devices = Object.keys(state.devices).map((deviceId, i) => ({
    deviceId,
    loss: options.loss(i),
    random: seededRandom(options.seed * 1000 + i),
    decoder: new FragmentDecoder(plan),
    reported: false,
  }));
  const run = (command: MulticastSessionCommand) => {
    const events = decide(state, command);
    log.push(...events);
    state = events.reduce(evolve, state) as MulticastSessionState;
    return events;
  };
  const uplinkOf = (
    deviceId: string,
    uplink: Extract<MulticastSessionCommand, { type: 'ReceiveUplink' }>['uplink'],
  ) => run({ type: 'ReceiveUplink', deviceId, uplink, nowMs: now });
  const statusOf = (device: (typeof devices)[number]) => {
    const s = device.decoder.status();
    uplinkOf(device.deviceId, {
      kind: 'fragmentation',
      commands: [
        {
          type: 'FragSessionStatusAns',
          fragIndex: 0,
          nbFragReceived: s.received,
          missingFrag: Math.min(255, s.missing),
          notEnoughMatrixMemory: false,
        },
      ],
    });
  };
  const deliver = (device: (typeof devices)[number], n: number, lossy: boolean) => {
    if (device.decoder.status().done || (lossy && device.random() < device.loss)) return;
    device.decoder.push(n, fragmentPayload(block, plan, n));
    if (!device.decoder.status().done || device.reported) return;
    expect(Buffer.from(device.decoder.block()).equals(block)).toBe(true);
    device.reported = true;
    uplinkOf(device.deviceId, { kind: 'firmware-version', version: '2.0.0' });
  };

  for (const d of devices) {
    uplinkOf(d.deviceId, {
      kind: 'multicast-setup',
      commands: [{ type: 'McGroupSetupAns', mcGroupId: 0, idError: false }],
    });
    uplinkOf(d.deviceId, {
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
    });
    uplinkOf(d.deviceId, {
      kind: 'multicast-setup',
      commands: [
        {
          type: 'McClassCSessionAns',
          mcGroupId: 0,
          dataRateError: false,
          frequencyError: false,
          mcGroupUndefined: false,
          timeToStart: 3,
        },
      ],
    });
  }
  let firstPassAfterRoundOne = 0;
  for (let steps = 0; state.status !== 'finished' && steps < 10_000; steps += 1) {
    now += 100;
    for (const event of run({ type: 'Tick', nowMs: now })) {
      if (event.type === 'MulticastRoundScheduled') {
        for (let n = event.data.firstN; n <= event.data.lastN && state.status === 'multicasting'; n += 1) {
          now += state.policy.fragmentIntervalMs;
          for (const d of devices) deliver(d, n, true);
        }
        if (event.data.round === 1) firstPassAfterRoundOne = summaryOf(state).byPhase.verified;
        run({ type: 'RecordRoundSent', round: event.data.round, nowMs: now });
        for (const d of devices) if (!d.reported) statusOf(d);
      }
      if (event.type === 'MulticastUnicastRepairScheduled') {
        const device = devices.find((d) => d.deviceId === event.data.deviceId)!;
        for (let n = event.data.firstN; n <= event.data.lastN; n += 1) deliver(device, n, false);
        if (!device.reported) statusOf(device);
      }
    }
  }
  return { state, log, firstPassAfterRoundOne };
}

describe('a multicast session played against simulated devices', () => {
  it.each([1, 2, 3])(
    'given 100 devices at 5 %% loss and 2 at 40 %% (seed %i), when the session runs, then ≥ 99 of them decode after the first pass and every one ends verified',
    (seed) => {
      const { state, firstPassAfterRoundOne } = simulate({
        devices: 102,
        loss: (i) => (i < 2 ? 0.4 : 0.05),
        seed,
        // M = 84 fragments: a small block needs more redundancy than 10 % for 99 % (bench/fuota).
        redundancyPercent: 35,
      });

      const summary = summaryOf(state);
      expect(state.status).toBe('finished');
      expect(summary.byPhase.verified).toBe(102);
      expect(firstPassAfterRoundOne).toBeGreaterThanOrEqual(99);
      expect(summary.firstPass).toBeGreaterThanOrEqual(99);
      expect(summary.repairedByMulticast + summary.repairedByUnicast).toBe(102 - summary.firstPass);
      expect(summary.repairedByMulticast + summary.repairedByUnicast).toBeGreaterThanOrEqual(2);
    },
  );

  it('given no redundancy and 10 % loss, when the session runs, then repairs bring every device to the block', () => {
    const { state, log } = simulate({ devices: 20, loss: () => 0.1, seed: 9, redundancyPercent: 0 });

    expect(summaryOf(state).byPhase.verified).toBe(20);
    expect(log.filter((e) => e.type === 'MulticastRoundScheduled').length).toBeGreaterThan(1);
  });
});
