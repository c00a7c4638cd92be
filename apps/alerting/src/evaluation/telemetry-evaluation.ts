import type { DeviceFacts } from '../devices/device-facts';
import { lookupMetric, RATE_LIMITS } from '../rules/metrics';
import type { Condition } from '../rules/rule';
import { inScope } from '../rules/scope';
import { hysteresis, type AlertDecision, type AlertSlots } from './alert-slots';
import { hourlyRates, recordUplink, type RateWindow } from './rate-window';
import type { ActiveRule, RuleSet } from './rule-set';

/** One uplink as rules see it (from `fleet.telemetry.DeviceTelemetry`). */
export interface TelemetryObservation {
  readonly messageId: string;
  readonly deviceId: string;
  readonly receivedAt: number;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly airtimeMs: number | null;
  readonly readings: readonly { readonly path: string; readonly numberValue: number | null }[];
}

/** What evaluating telemetry reads and keeps besides the observations themselves. */
export interface TelemetryContext {
  readonly rules: RuleSet;
  readonly slots: AlertSlots;
  facts(deviceId: string): DeviceFacts | null;
  /** The device's rate window, kept by the caller between batches (undefined: none yet). */
  rateWindow(deviceId: string): RateWindow | undefined;
  setRateWindow(deviceId: string, window: RateWindow): void;
  /** See `suppressedUntil`; only asked when a rule is about to raise. */
  suppressedUntil(rule: ActiveRule, facts: DeviceFacts | null, at: number): number | null;
}

type ThresholdRule = ActiveRule<Extract<Condition, { kind: 'threshold' }>>;
type RateRule = ActiveRule<Extract<Condition, { kind: 'rate' }>>;

/**
 * Evaluates uplinks in order against the threshold, rate and silence rules: a threshold crossed
 * raises (hysteresis: clears only past its clear bound), a rate over budget raises, and any uplink
 * clears its device's silence alerts. Decisions are applied to `ctx.slots` as they are made.
 */
export function evaluateTelemetry(
  observations: readonly TelemetryObservation[],
  ctx: TelemetryContext,
): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  const decide = (decision: AlertDecision) => {
    ctx.slots.apply(decision);
    decisions.push(decision);
  };
  const { threshold, rate, silence } = ctx.rules;
  for (const obs of observations) {
    const facts = ctx.facts(obs.deviceId);
    for (const rule of silence) {
      const status = ctx.slots.status(rule.ruleId, obs.deviceId);
      if (status === 'closed') continue;
      const slot = ctx.slots.get(rule.ruleId, obs.deviceId);
      if (slot.status === 'open' && slot.alertId) {
        decide({
          action: 'clear',
          ruleId: rule.ruleId,
          subject: obs.deviceId,
          deviceId: obs.deviceId,
          alertId: slot.alertId,
          observedAt: obs.receivedAt,
          value: null,
          message: 'the device reported again',
          correlationId: obs.messageId,
        });
      } else if (slot.status === 'latched') {
        decide({ action: 'release', ruleId: rule.ruleId, subject: obs.deviceId });
      }
    }
    if (rate.length > 0) {
      const window = recordUplink(ctx.rateWindow(obs.deviceId), obs.receivedAt, obs.airtimeMs);
      ctx.setRateWindow(obs.deviceId, window);
      const rates = hourlyRates(window, obs.receivedAt);
      for (const rule of rate) {
        if (inScope(rule.definition.scope, facts)) evaluateRate(rule, obs, facts, rates, ctx, decide);
      }
    }
    for (const rule of threshold) {
      if (!inScope(rule.definition.scope, facts)) continue;
      const value = metricValue(rule.definition.condition.metric, obs);
      if (value !== null) evaluateThreshold(rule, obs, facts, value, ctx, decide);
    }
  }
  return decisions;
}

function evaluateThreshold(
  rule: ThresholdRule,
  obs: TelemetryObservation,
  facts: DeviceFacts | null,
  value: number,
  ctx: TelemetryContext,
  decide: (d: AlertDecision) => void,
): void {
  const c = rule.definition.condition;
  const below = c.operator === 'below';
  const raiseHolds = below ? value < c.raiseAt : value > c.raiseAt;
  const clearHolds = below ? value >= c.clearAt : value <= c.clearAt;
  const outcome = hysteresis(ctx.slots.status(rule.ruleId, obs.deviceId), raiseHolds, clearHolds);
  // Most uplinks change nothing: describe the outcome only when there is one.
  if (outcome === 'none') return;
  act(rule, obs, facts, ctx, decide, outcome, value, c.raiseAt, () =>
    outcome === 'raise'
      ? `${describeMetric(c.metric)} ${value} is ${c.operator} ${c.raiseAt}`
      : `${describeMetric(c.metric)} ${value} is back ${below ? 'at or above' : 'at or below'} ${c.clearAt}`,
  );
}

function evaluateRate(
  rule: RateRule,
  obs: TelemetryObservation,
  facts: DeviceFacts | null,
  rates: ReturnType<typeof hourlyRates>,
  ctx: TelemetryContext,
  decide: (d: AlertDecision) => void,
): void {
  const c = rule.definition.condition;
  const value = Math.round(rates[c.metric] * 1000) / 1000;
  const outcome = hysteresis(
    ctx.slots.status(rule.ruleId, obs.deviceId),
    value > c.raiseAbove,
    value <= c.clearAt,
  );
  if (outcome === 'none') return;
  const name = RATE_LIMITS[c.metric].description;
  act(rule, obs, facts, ctx, decide, outcome, value, c.raiseAbove, () =>
    outcome === 'raise'
      ? `${name} ${value} is above the budget of ${c.raiseAbove}`
      : `${name} ${value} is back within ${c.clearAt}`,
  );
}

function act(
  rule: ActiveRule,
  obs: TelemetryObservation,
  facts: DeviceFacts | null,
  ctx: TelemetryContext,
  decide: (d: AlertDecision) => void,
  outcome: Exclude<ReturnType<typeof hysteresis>, 'none'>,
  value: number,
  bound: number,
  message: () => string,
): void {
  const slot = ctx.slots.get(rule.ruleId, obs.deviceId);
  const common = {
    ruleId: rule.ruleId,
    subject: obs.deviceId,
    deviceId: obs.deviceId,
    observedAt: obs.receivedAt,
    correlationId: obs.messageId,
  };
  switch (outcome) {
    case 'raise':
      if (ctx.suppressedUntil(rule, facts, obs.receivedAt) !== null) return;
      decide({ action: 'raise', ...common, episode: slot.episode + 1, value, bound, message: message() });
      return;
    case 'clear':
      if (slot.alertId)
        decide({ action: 'clear', ...common, alertId: slot.alertId, value, message: message() });
      return;
    case 'release':
      decide({ action: 'release', ruleId: rule.ruleId, subject: obs.deviceId });
      return;
  }
}

/** The metric's value in this uplink, or null when the uplink does not carry it. */
export function metricValue(metric: string, obs: TelemetryObservation): number | null {
  switch (metric) {
    case 'batteryPercent':
      return obs.batteryPercent;
    case 'rssi':
      return obs.rssi;
    case 'snr':
      return obs.snr;
    case 'airtimeMs':
      return obs.airtimeMs;
    default:
      for (const reading of obs.readings) if (reading.path === metric) return reading.numberValue;
      return null;
  }
}

const descriptions = new Map<string, string>();
function describeMetric(metric: string): string {
  let description = descriptions.get(metric);
  if (description === undefined) {
    const found = lookupMetric(metric);
    description = 'spec' in found ? found.spec.description : metric;
    descriptions.set(metric, description);
  }
  return description;
}
