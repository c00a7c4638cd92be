import type { SessionPolicy } from './multicast-session';
import { chooseRepair, neededFragments, type RepairContext } from './repair-policy';

const policy: SessionPolicy = {
  fragmentIntervalMs: 100,
  startGuardMs: 1_000,
  statusWindowMs: 2_000,
  verifyTimeoutMs: 5_000,
  maxMulticastRounds: 2,
  unicastRepairMaxFragments: 30,
  unicastRepairMaxPerDevice: 40,
  unicastRepairAttempts: 3,
  unicastAnswerWindowMs: 3_000,
};
const context: RepairContext = {
  uncodedFragments: 400,
  multicastFragments: 440,
  round: 1,
  policy,
  nextN: 441,
  nowMs: 0,
  classCEndsAtMs: 3_600_000,
};

describe('choosing how to repair', () => {
  it('given nobody missing anything, when chosen, then there is nothing to do', () => {
    expect(chooseRepair([], context)).toEqual({ kind: 'none' });
  });

  it('given few fragments missing in total, when chosen, then each device gets its own plus a margin in unicast', () => {
    expect(
      chooseRepair(
        [
          { deviceId: 'a', missing: 3, received: 437 },
          { deviceId: 'b', missing: null, received: null },
        ],
        context,
      ),
    ).toEqual({
      kind: 'unicast',
      repairs: [
        { deviceId: 'a', fragments: 5 },
        { deviceId: 'b', fragments: 0 },
      ],
      failures: [],
    });
  });

  it('given many missing, when a round is left, then a multicast round sized for the neediest at its loss', () => {
    // b received 220 of 440 (50 % loss) and misses 100: (100 + 10) / 0.5.
    expect(
      chooseRepair(
        [
          { deviceId: 'a', missing: 20, received: 400 },
          { deviceId: 'b', missing: 100, received: 220 },
        ],
        context,
      ),
    ).toEqual({ kind: 'multicast', fragments: 220 });
  });

  it('given many missing and no round left, when chosen, then unicast within the per-device limit and the others fail', () => {
    const decision = chooseRepair(
      [
        { deviceId: 'a', missing: 20, received: 400 },
        { deviceId: 'b', missing: 100, received: 220 },
      ],
      { ...context, round: 2 },
    );

    expect(decision).toEqual({
      kind: 'unicast',
      repairs: [{ deviceId: 'a', fragments: 22 }],
      failures: [
        {
          deviceId: 'b',
          reason:
            'still needs 100 fragments after 2 multicast rounds, over the unicast repair limit of 40 per device',
        },
      ],
    });
  });

  it('given a round that would outlast class C, when chosen, then unicast instead', () => {
    const decision = chooseRepair([{ deviceId: 'b', missing: 100, received: 220 }], {
      ...context,
      classCEndsAtMs: 10_000,
    });

    expect(decision).toMatchObject({
      kind: 'unicast',
      failures: [{ reason: expect.stringContaining('would not fit the class C session') }],
    });
  });

  it('given MissingFrag 255 ("255 or more"), when the need is taken, then M − received counts when larger', () => {
    expect(neededFragments({ deviceId: 'a', missing: 255, received: 100 }, 400)).toBe(300);
    expect(neededFragments({ deviceId: 'a', missing: 255, received: 300 }, 400)).toBe(255);
  });
});
