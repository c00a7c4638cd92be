import { checkDrift, driftStart } from './drift';
import { facts, never, rule, slots } from './evaluation.test-support';
import { RuleSet } from './rule-set';

const t0 = 1_700_000_000_000;
const interval = rule('interval', {
  kind: 'drift',
  keys: ['application.reportingIntervalSeconds'],
  forSeconds: 600,
});
const any = rule('any', { kind: 'drift', keys: null, forSeconds: 60 });

describe('drift', () => {
  const drifting = facts({
    desired: { 'application.reportingIntervalSeconds': 900, 'application.logicalName': 'x' },
    reported: { 'application.reportingIntervalSeconds': 300 },
    driftSince: { 'application.reportingIntervalSeconds': t0, 'application.logicalName': t0 + 30_000 },
  });

  it('given drifting keys, then a rule watches the earliest drift among its keys', () => {
    expect(driftStart(drifting, null)).toBe(t0);
    expect(driftStart(drifting, ['application.logicalName'])).toBe(t0 + 30_000);
    expect(driftStart(drifting, ['radio.adr'])).toBeNull();
  });

  it('given drift shorter than the rule, then nothing yet and a check when it is due', () => {
    expect(checkDrift(drifting, t0 + 59_000, new RuleSet([interval, any]), slots(), never)).toEqual({
      decisions: [],
      nextCheckAt: t0 + 60_000,
    });
  });

  it('given drift that lasted, then each rule raises once', () => {
    const s = slots();
    const rules = new RuleSet([interval, any]);
    const check = checkDrift(drifting, t0 + 600_000, rules, s, never);
    expect(check.decisions.map((d) => d.action === 'raise' && [d.ruleId, d.observedAt])).toEqual([
      ['interval', t0 + 600_000],
      ['any', t0 + 60_000],
    ]);
    expect(checkDrift(drifting, t0 + 700_000, rules, s, never).decisions).toEqual([]);
  });

  it('given an open drift alert, when reported matches desired, then it clears', () => {
    const open = slots([{ ruleId: 'interval', subject: 'd1', status: 'open', episode: 1, alertId: 'a1' }]);
    const matching = facts({
      desired: { 'application.reportingIntervalSeconds': 900 },
      reported: { 'application.reportingIntervalSeconds': 900 },
    });
    expect(checkDrift(matching, t0, new RuleSet([interval]), open, never).decisions).toEqual([
      expect.objectContaining({
        action: 'clear',
        alertId: 'a1',
        message: 'reported configuration matches desired again',
      }),
    ]);
  });
});
