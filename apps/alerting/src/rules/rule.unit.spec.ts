import { ConflictError, IllegalStateError, NotFoundError, PreconditionFailedError } from '@fleet/core';
import type { RuleDefinition, RuleEvent, RuleState } from './rule';
import { ruleDecider } from './rule.decide';

const definition: RuleDefinition = {
  name: 'Battery low',
  description: '',
  severity: 'warning',
  scope: { type: 'fleet' },
  condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 25 },
  escalation: null,
  suppression: { maintenanceWindows: true, campaigns: true },
};

const given = (...events: RuleEvent[]): RuleState =>
  events.reduce(ruleDecider.evolve, ruleDecider.initialState);
const created: RuleEvent = { type: 'RuleCreated', data: { ruleId: 'r1', definition } };

describe('rule aggregate', () => {
  it('given no rule, when created, then it is enabled at definition version 1', () => {
    const events = ruleDecider.decide({ type: 'CreateRule', ruleId: 'r1', definition }, given());
    expect(events).toEqual([created]);
    expect(given(...events)).toMatchObject({ status: 'enabled', definitionVersion: 1, version: 1 });
  });

  it('given a rule, when created again, then it conflicts', () => {
    expect(() =>
      ruleDecider.decide({ type: 'CreateRule', ruleId: 'r1', definition }, given(created)),
    ).toThrow(ConflictError);
  });

  it('given a rule, when revised, then its definition version goes up; the same definition changes nothing', () => {
    const revised = { ...definition, severity: 'critical' as const };
    const events = ruleDecider.decide(
      { type: 'ReviseRule', ruleId: 'r1', definition: revised },
      given(created),
    );
    expect(given(created, ...events)).toMatchObject({
      definitionVersion: 2,
      version: 2,
      definition: { severity: 'critical' },
    });
    expect(ruleDecider.decide({ type: 'ReviseRule', ruleId: 'r1', definition }, given(created))).toEqual([]);
  });

  it('given a threshold rule, when revised into a silence rule, then it is refused', () => {
    const silence = { ...definition, condition: { kind: 'silence' as const, multiplier: 3 } };
    expect(() =>
      ruleDecider.decide({ type: 'ReviseRule', ruleId: 'r1', definition: silence }, given(created)),
    ).toThrow(IllegalStateError);
  });

  it('given a stale If-Match, when revised, then the precondition fails', () => {
    expect(() =>
      ruleDecider.decide(
        { type: 'ReviseRule', ruleId: 'r1', definition, expectedVersion: 7 },
        given(created),
      ),
    ).toThrow(PreconditionFailedError);
  });

  it('given a rule, when disabled twice and enabled, then only changes become events', () => {
    const disabled: RuleEvent = { type: 'RuleDisabled', data: { ruleId: 'r1' } };
    expect(ruleDecider.decide({ type: 'DisableRule', ruleId: 'r1' }, given(created))).toEqual([disabled]);
    expect(ruleDecider.decide({ type: 'DisableRule', ruleId: 'r1' }, given(created, disabled))).toEqual([]);
    expect(ruleDecider.decide({ type: 'EnableRule', ruleId: 'r1' }, given(created, disabled))).toEqual([
      { type: 'RuleEnabled', data: { ruleId: 'r1' } },
    ]);
  });

  it('given a deleted rule, when anything is asked of it, then it is not found', () => {
    const deleted = given(created, { type: 'RuleDeleted', data: { ruleId: 'r1' } });
    expect(() => ruleDecider.decide({ type: 'EnableRule', ruleId: 'r1' }, deleted)).toThrow(NotFoundError);
    expect(() => ruleDecider.decide({ type: 'DeleteRule', ruleId: 'r2' }, given())).toThrow(NotFoundError);
  });
});
