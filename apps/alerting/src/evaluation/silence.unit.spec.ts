import { facts, never, rule, slots } from './evaluation.test-support';
import { RuleSet } from './rule-set';
import { checkSilence, firstCheckAt, silenceDeadline } from './silence';

const lastSeenAt = 1_700_000_000_000;
const k3 = rule('k3', { kind: 'silence', multiplier: 3 });
const k10 = rule('k10', { kind: 'silence', multiplier: 10 }, { scope: { type: 'group', tag: 'critical' } });

describe('silence', () => {
  it('given a device last heard at t with its own interval, then its deadline is t + k × interval', () => {
    expect(silenceDeadline(lastSeenAt, 900, 3)).toBe(lastSeenAt + 2_700_000);
    expect(silenceDeadline(lastSeenAt, 2, 1.5)).toBe(lastSeenAt + 3_000);
    expect(firstCheckAt(lastSeenAt, 60, new RuleSet([k10, k3]))).toBe(lastSeenAt + 180_000);
    expect(firstCheckAt(lastSeenAt, 60, new RuleSet([]))).toBeNull();
  });

  it('given a sleepy device waking every 10 minutes, when 29 minutes passed, then nothing; at 30, it raises', () => {
    const device = {
      deviceId: 'd1',
      lastSeenAt,
      facts: facts({ deviceClass: { kind: 'sleepy', wakeIntervalSeconds: 600 } }),
    };
    const rules = new RuleSet([k3]);
    const early = checkSilence(device, lastSeenAt + 29 * 60_000, rules, slots(), never);
    expect(early).toEqual({ decisions: [], nextCheckAt: lastSeenAt + 30 * 60_000 });
    const due = checkSilence(device, lastSeenAt + 30 * 60_000 + 5, rules, slots(), never);
    expect(due.decisions).toEqual([
      expect.objectContaining({
        action: 'raise',
        ruleId: 'k3',
        episode: 1,
        observedAt: lastSeenAt + 1_800_000,
        bound: 1_800,
      }),
    ]);
    expect(due.nextCheckAt).toBeNull();
  });

  it('given a reported reporting interval, then it wins over the desired one and the class default', () => {
    const configured = facts({
      reported: { 'application.reportingIntervalSeconds': 60 },
      desired: { 'application.reportingIntervalSeconds': 600 },
    });
    const check = checkSilence(
      { deviceId: 'd1', lastSeenAt, facts: configured },
      lastSeenAt + 1_000,
      new RuleSet([k3]),
      slots(),
      never,
    );
    expect(check.nextCheckAt).toBe(lastSeenAt + 180_000);
  });

  it('given two rules, when the first is due, then it raises and the device is looked at again at the second', () => {
    const device = { deviceId: 'd1', lastSeenAt, facts: facts({ tags: ['critical'] }) };
    const check = checkSilence(device, lastSeenAt + 1_000_000, new RuleSet([k3, k10]), slots(), never);
    expect(check.decisions.map((d) => d.ruleId)).toEqual(['k3']);
    expect(check.nextCheckAt).toBe(lastSeenAt + 3_000_000);
  });

  it('given an alert already open, then no second one is raised', () => {
    const open = slots([{ ruleId: 'k3', subject: 'd1', status: 'open', episode: 1, alertId: 'a' }]);
    expect(
      checkSilence(
        { deviceId: 'd1', lastSeenAt, facts: null },
        lastSeenAt + 10_000_000,
        new RuleSet([k3]),
        open,
        never,
      ),
    ).toEqual({
      decisions: [],
      nextCheckAt: null,
    });
  });

  it('given a maintenance window until w, then nothing is raised and the device is looked at again at w', () => {
    const until = lastSeenAt + 5_000_000;
    const check = checkSilence(
      { deviceId: 'd1', lastSeenAt, facts: null },
      lastSeenAt + 1_000_000,
      new RuleSet([k3]),
      slots(),
      () => until,
    );
    expect(check).toEqual({ decisions: [], nextCheckAt: until });
  });

  it('given a suspended or decommissioned device, then it is not expected to talk', () => {
    for (const status of ['suspended', 'decommissioned'] as const) {
      const check = checkSilence(
        { deviceId: 'd1', lastSeenAt, facts: facts({ status }) },
        lastSeenAt + 1e9,
        new RuleSet([k3]),
        slots(),
        never,
      );
      expect(check).toEqual({ decisions: [], nextCheckAt: null });
    }
  });
});
