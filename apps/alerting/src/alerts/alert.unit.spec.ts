import { IllegalStateError, NotFoundError } from '@fleet/core';
import type { AlertEvent, AlertRaisedData, AlertState } from './alert';
import { alertDecider } from './alert.decide';

const raised: AlertRaisedData = {
  alertId: 'a1',
  ruleId: 'r1',
  ruleVersion: 2,
  ruleName: 'Battery low',
  ruleKind: 'threshold',
  severity: 'warning',
  deviceId: 'd1',
  subject: 'd1',
  episode: 1,
  observedAt: 1_700_000_000_000,
  value: 12,
  bound: 20,
  message: 'battery (%) 12 is below 20',
};
const given = (...events: AlertEvent[]): AlertState =>
  events.reduce(alertDecider.evolve, alertDecider.initialState);
const raise = { type: 'RaiseAlert' as const, alertId: 'a1', raised };
const wasRaised: AlertEvent = { type: 'AlertRaised', data: raised };
const autoClear = {
  type: 'ClearAlert' as const,
  alertId: 'a1',
  by: 'alerting',
  automatic: true,
  observedAt: 1_700_000_060_000,
  value: 30,
  message: 'back',
};

describe('alert lifecycle', () => {
  it('given nothing, when raised, then the alert is open; raised again (a replay), nothing happens', () => {
    expect(alertDecider.decide(raise, given())).toEqual([wasRaised]);
    expect(given(wasRaised)).toMatchObject({ status: 'open', severity: 'warning', version: 1 });
    expect(alertDecider.decide(raise, given(wasRaised))).toEqual([]);
  });

  it('given an open alert, when acknowledged with a note, then who and why are kept; twice changes nothing', () => {
    const events = alertDecider.decide(
      { type: 'AcknowledgeAlert', alertId: 'a1', by: 'sam', note: 'on it' },
      given(wasRaised),
    );
    expect(events).toEqual([
      {
        type: 'AlertAcknowledged',
        data: { alertId: 'a1', deviceId: 'd1', acknowledgedBy: 'sam', note: 'on it' },
      },
    ]);
    const acknowledged = given(wasRaised, ...events);
    expect(acknowledged).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'sam', note: 'on it' });
    expect(
      alertDecider.decide({ type: 'AcknowledgeAlert', alertId: 'a1', by: 'ann', note: null }, acknowledged),
    ).toEqual([]);
  });

  it('given an open alert, when escalated, then its severity rises once; an acknowledged alert is not escalated', () => {
    const escalate = {
      type: 'EscalateAlert' as const,
      alertId: 'a1',
      severity: 'critical' as const,
      unacknowledgedSeconds: 900,
    };
    const events = alertDecider.decide(escalate, given(wasRaised));
    expect(events).toEqual([
      {
        type: 'AlertEscalated',
        data: {
          alertId: 'a1',
          deviceId: 'd1',
          previousSeverity: 'warning',
          severity: 'critical',
          unacknowledgedSeconds: 900,
        },
      },
    ]);
    expect(given(wasRaised, ...events)).toMatchObject({ severity: 'critical', escalated: true });
    expect(alertDecider.decide(escalate, given(wasRaised, ...events))).toEqual([]);
    const acknowledged: AlertEvent = {
      type: 'AlertAcknowledged',
      data: { alertId: 'a1', deviceId: 'd1', acknowledgedBy: 'sam', note: null },
    };
    expect(alertDecider.decide(escalate, given(wasRaised, acknowledged))).toEqual([]);
  });

  it('given an open alert, when its condition ends, then it clears automatically; again, nothing happens', () => {
    const events = alertDecider.decide(autoClear, given(wasRaised));
    expect(events[0]).toMatchObject({
      type: 'AlertCleared',
      data: { automatic: true, clearedBy: 'alerting', value: 30 },
    });
    const cleared = given(wasRaised, ...events);
    expect(cleared.status).toBe('cleared');
    expect(alertDecider.decide(autoClear, cleared)).toEqual([]);
  });

  it('given a cleared alert, when an operator clears or acknowledges it, then that is refused', () => {
    const cleared = given(wasRaised, ...alertDecider.decide(autoClear, given(wasRaised)));
    const byHand = { ...autoClear, by: 'oscar', automatic: false };
    expect(() => alertDecider.decide(byHand, cleared)).toThrow(IllegalStateError);
    expect(() =>
      alertDecider.decide({ type: 'AcknowledgeAlert', alertId: 'a1', by: 'sam', note: null }, cleared),
    ).toThrow(IllegalStateError);
  });

  it('given no alert, when acknowledged, then it is not found', () => {
    expect(() =>
      alertDecider.decide({ type: 'AcknowledgeAlert', alertId: 'x', by: 'sam', note: null }, given()),
    ).toThrow(NotFoundError);
  });
});
