import { ruleDefinitionSchema } from './rule-definition';

const problems = (input: unknown): string[] => {
  const result = ruleDefinitionSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const threshold = (condition: object) => ({ name: 'r', condition: { kind: 'threshold', ...condition } });

describe('rule definitions', () => {
  it('given a minimal threshold rule, when parsed, then defaults fill severity, scope, clear bound and suppression', () => {
    const parsed = ruleDefinitionSchema.parse(
      threshold({ metric: 'batteryPercent', operator: 'below', raiseAt: 20 }),
    );
    expect(parsed).toEqual({
      name: 'r',
      description: '',
      severity: 'warning',
      scope: { type: 'fleet' },
      condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 20 },
      escalation: null,
      suppression: { maintenanceWindows: true, campaigns: true },
    });
  });

  it.each([
    [
      'an unknown metric',
      { metric: 'voltage', operator: 'above', raiseAt: 1 },
      'condition.metric: unknown metric "voltage"',
    ],
    [
      'an unknown path',
      { metric: '/9999/0/1', operator: 'above', raiseAt: 1 },
      'not a resource Fleetwise knows',
    ],
    [
      'a non-numeric resource',
      { metric: '/3/0/3', operator: 'above', raiseAt: 1 },
      'is a string, not a number',
    ],
    [
      'a battery above 100',
      { metric: 'batteryPercent', operator: 'below', raiseAt: 120 },
      'impossible bound 120',
    ],
    ['an RSSI above 0 dBm', { metric: 'rssi', operator: 'above', raiseAt: 10 }, 'impossible bound 10'],
    [
      'a humidity above its maximum',
      { metric: '/3304/0/5700', operator: 'above', raiseAt: 100 },
      'never above 100',
    ],
    [
      'a clear bound under a below bound',
      { metric: 'snr', operator: 'below', raiseAt: -5, clearAt: -10 },
      'clears at or above',
    ],
    [
      'a clear bound over an above bound',
      { metric: 'airtimeMs', operator: 'above', raiseAt: 100, clearAt: 200 },
      'clears at or below',
    ],
  ])('given %s, when parsed, then it is refused with the reason', (_, condition, reason) => {
    expect(problems(threshold(condition)).join('\n')).toContain(reason);
  });

  it('given rate, event, drift and campaign rules with impossible values, then each problem is named', () => {
    expect(
      problems({ name: 'r', condition: { kind: 'rate', metric: 'dutyCyclePercent', raiseAbove: 150 } }),
    ).toEqual([expect.stringContaining('condition.raiseAbove: impossible bound 150')]);
    expect(
      problems({
        name: 'r',
        condition: { kind: 'rate', metric: 'uplinksPerHour', raiseAbove: 10, clearAt: 20 },
      }),
    ).toEqual([expect.stringContaining('condition.clearAt')]);
    expect(
      problems({ name: 'r', condition: { kind: 'event', source: 'somewhere', eventTypes: ['X'] } }),
    ).toEqual([expect.stringContaining('condition.source')]);
    expect(
      problems({ name: 'r', condition: { kind: 'drift', keys: ['radio.colour'], forSeconds: 60 } }),
    ).toEqual([expect.stringContaining('not a configuration key')]);
    expect(
      problems({
        name: 'r',
        scope: { type: 'group', tag: 'x' },
        condition: { kind: 'campaign-error-rate', raiseAtPercent: 5 },
      }),
    ).toEqual([expect.stringContaining('scope: a campaign error rate watches campaigns')]);
    expect(problems({ name: 'r', condition: { kind: 'silence', multiplier: 0.5 } })).toEqual([
      expect.stringContaining('condition.multiplier'),
    ]);
  });

  it('given an escalation to a lower severity, then it is refused', () => {
    expect(
      problems({
        name: 'r',
        severity: 'critical',
        escalation: { afterSeconds: 60, severity: 'info' },
        condition: { kind: 'silence' },
      }),
    ).toEqual([expect.stringContaining('escalation.severity')]);
  });

  it('given an unknown top-level field, then it is refused by name', () => {
    expect(problems({ name: 'r', colour: 'red', condition: { kind: 'silence' } })).toEqual([
      expect.stringContaining('colour'),
    ]);
  });
});
