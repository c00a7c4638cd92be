import type { AlertDecision } from './alert-slots';
import { facts, never, rule, slots } from './evaluation.test-support';
import type { RateWindow } from './rate-window';
import { RuleSet } from './rule-set';
import { evaluateTelemetry, type TelemetryContext, type TelemetryObservation } from './telemetry-evaluation';

const battery = rule('battery', {
  kind: 'threshold',
  metric: 'batteryPercent',
  operator: 'below',
  raiseAt: 20,
  clearAt: 25,
});
const hot = rule('hot', {
  kind: 'threshold',
  metric: '/3303/0/5700',
  operator: 'above',
  raiseAt: 60,
  clearAt: 50,
});
const silent = rule('silent', { kind: 'silence', multiplier: 3 });
const chatty = rule('chatty', { kind: 'rate', metric: 'uplinksPerHour', raiseAbove: 3, clearAt: 1 });

let t = 1_700_000_000_000;
const uplink = (values: Partial<TelemetryObservation> = {}): TelemetryObservation => ({
  messageId: `m${t}`,
  deviceId: 'd1',
  receivedAt: (t += 1_000),
  batteryPercent: null,
  rssi: null,
  snr: null,
  airtimeMs: null,
  readings: [],
  ...values,
});

function context(rules: RuleSet, overrides: Partial<TelemetryContext> = {}): TelemetryContext {
  const windows = new Map<string, RateWindow>();
  return {
    rules,
    slots: slots(),
    facts: () => facts(),
    rateWindow: (id) => windows.get(id),
    setRateWindow: (id, w) => windows.set(id, w),
    suppressedUntil: never,
    ...overrides,
  };
}

const summary = (decisions: AlertDecision[]) =>
  decisions.map((d) => `${d.action} ${d.ruleId}${d.action === 'raise' ? ` #${d.episode}` : ''}`);

describe('telemetry evaluation', () => {
  it('given a battery rule with hysteresis, when the level falls, hovers and recovers, then it raises once and clears once', () => {
    const ctx = context(new RuleSet([battery]));
    const levels = [50, 19, 22, 18, 24, 26, 30];
    const decisions = evaluateTelemetry(
      levels.map((batteryPercent) => uplink({ batteryPercent })),
      ctx,
    );
    expect(summary(decisions)).toEqual(['raise battery #1', 'clear battery']);
    expect(decisions[0]).toMatchObject({ value: 19, bound: 20, message: 'battery (%) 19 is below 20' });
    expect(decisions[1]).toMatchObject({ value: 26, alertId: 'battery/d1/1' });
  });

  it('given a device that crosses the bound twice in one batch, then two episodes are raised in order', () => {
    const ctx = context(new RuleSet([battery]));
    const decisions = evaluateTelemetry(
      [10, 40, 10].map((batteryPercent) => uplink({ batteryPercent })),
      ctx,
    );
    expect(summary(decisions)).toEqual(['raise battery #1', 'clear battery', 'raise battery #2']);
    expect(ctx.slots.changes()).toEqual([
      { ruleId: 'battery', subject: 'd1', status: 'open', episode: 2, alertId: 'battery/d1/2' },
    ]);
  });

  it('given a pair whose stored slot was not loaded, when it raises, then the caller is told to load it', () => {
    const ctx = context(new RuleSet([battery]));
    evaluateTelemetry([uplink({ batteryPercent: 5 })], ctx);
    expect(ctx.slots.unknownRaises()).toEqual([{ ruleId: 'battery', subject: 'd1' }]);
    const known = context(new RuleSet([battery]), {
      slots: slots([{ ruleId: 'battery', subject: 'd1', status: 'closed', episode: 4, alertId: 'x' }]),
    });
    expect(evaluateTelemetry([uplink({ batteryPercent: 5 })], known)[0]).toMatchObject({ episode: 5 });
    expect(known.slots.unknownRaises()).toEqual([]);
  });

  it('given an uplink without the metric, then the rule does not judge it', () => {
    const ctx = context(new RuleSet([battery, hot]));
    expect(evaluateTelemetry([uplink({ rssi: -90 })], ctx)).toEqual([]);
    expect(
      summary(evaluateTelemetry([uplink({ readings: [{ path: '/3303/0/5700', numberValue: 65 }] })], ctx)),
    ).toEqual(['raise hot #1']);
  });

  it('given a suppressed device, then nothing is raised, but an open alert still clears', () => {
    const open = slots([{ ruleId: 'battery', subject: 'd1', status: 'open', episode: 1, alertId: 'a1' }]);
    const ctx = context(new RuleSet([battery, hot]), { slots: open, suppressedUntil: () => t + 60_000 });
    const decisions = evaluateTelemetry(
      [uplink({ batteryPercent: 90, readings: [{ path: '/3303/0/5700', numberValue: 99 }] })],
      ctx,
    );
    expect(summary(decisions)).toEqual(['clear battery']);
  });

  it('given a device out of the rule scope, then the rule does not judge it', () => {
    const north = rule(
      'north',
      { kind: 'threshold', metric: 'rssi', operator: 'below', raiseAt: -100, clearAt: -100 },
      {
        scope: { type: 'group', tag: 'north' },
      },
    );
    const ctx = context(new RuleSet([north]), { facts: () => facts({ tags: ['south'] }) });
    expect(evaluateTelemetry([uplink({ rssi: -120 })], ctx)).toEqual([]);
  });

  it('given an open silence alert or a latched slot, when the device reports, then it clears or is released', () => {
    const ctx = context(new RuleSet([silent]), {
      slots: slots([
        { ruleId: 'silent', subject: 'd1', status: 'open', episode: 2, alertId: 'a2' },
        { ruleId: 'silent', subject: 'd2', status: 'latched', episode: 1, alertId: 'a1' },
      ]),
    });
    const decisions = evaluateTelemetry([uplink(), uplink({ deviceId: 'd2' })], ctx);
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'clear', alertId: 'a2', message: 'the device reported again' }),
      { action: 'release', ruleId: 'silent', subject: 'd2' },
    ]);
  });

  it('given a rate rule, when uplinks exceed the hourly budget, then it raises once', () => {
    const ctx = context(new RuleSet([chatty]));
    const decisions = evaluateTelemetry(
      Array.from({ length: 6 }, () => uplink()),
      ctx,
    );
    expect(summary(decisions)).toEqual(['raise chatty #1']);
    expect(decisions[0]).toMatchObject({ value: 4, bound: 3 });
  });
});
