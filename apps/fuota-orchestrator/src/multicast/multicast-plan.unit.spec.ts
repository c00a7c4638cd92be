import { planSession, type MulticastPlanInput } from './multicast-plan';

const request: MulticastPlanInput = {
  blockBytes: 102_400,
  dataRate: 5,
  frequencyHz: 869_525_000,
  redundancyPercent: 10,
  expectedLossPercent: 5,
  fragmentBytes: null,
  maxSessionSeconds: 3_600,
};

describe('planning a multicast session', () => {
  it('given 100 KiB at DR5 with 10 % redundancy, when planned, then fragments are the largest DR5 carries and it fits an hour at 10 %', () => {
    const outcome = planSession(request);

    expect(outcome.feasible).toBe(true);
    if (!outcome.feasible) return;
    expect(outcome.plan).toMatchObject({
      fragmentBytes: 239,
      uncodedFragments: 429,
      codedFragments: 43,
      padding: 429 * 239 - 102_400,
      dutyCycle: 0.1,
      redundancyAdvised: false,
    });
    expect(outcome.plan.estimatedWallTimeMs).toBeGreaterThan(1_000_000);
    expect(outcome.plan.estimatedWallTimeMs).toBeLessThan(3_600_000);
  });

  it('given the same image at DR0, when planned, then it is refused with the air time and the limit in the reason', () => {
    const outcome = planSession({ ...request, dataRate: 0 });

    expect(outcome.feasible).toBe(false);
    if (outcome.feasible) return;
    expect(outcome.reasons.join(' ')).toMatch(
      /at DR0 \(SF12\/125 kHz\).*over the 3,600 s \(1\.0 h\) maximum multicast session/,
    );
  });

  it('given fragments larger than the data rate carries, when planned, then the reason names the limit', () => {
    const outcome = planSession({ ...request, dataRate: 3, fragmentBytes: 200 });

    expect(outcome).toEqual({ feasible: false, reasons: [expect.stringContaining('at most 112 bytes')] });
  });

  it('given no redundancy, when planned, then the least redundancy for 99 % at the expected loss is advised', () => {
    const outcome = planSession({ ...request, redundancyPercent: null, expectedLossPercent: 5 });

    expect(outcome.feasible && outcome.plan.redundancyAdvised).toBe(true);
    expect(outcome.feasible && outcome.plan.codedFragments).toBeGreaterThan(21);
    expect(outcome.feasible && outcome.plan.codedFragments).toBeLessThan(60);
  });

  it('given an unknown data rate, when planned, then it throws a validation error', () => {
    expect(() => planSession({ ...request, dataRate: 7 })).toThrow('EU868 DR7 is not a LoRa data rate');
  });
});
