import { expectedIntervalSeconds, isMonitored, type DeviceFacts } from '../devices/device-facts';
import { inScope } from '../rules/scope';
import type { AlertDecision, AlertSlots } from './alert-slots';
import type { ActiveRule, RuleSet } from './rule-set';

/** When a device that was last heard at `lastSeenAt` becomes silent for a rule of `multiplier`. */
export function silenceDeadline(lastSeenAt: number, intervalSeconds: number, multiplier: number): number {
  return lastSeenAt + Math.round(multiplier * intervalSeconds * 1000);
}

/** The earliest moment any silence rule could concern a device: where its deadline is indexed. */
export function firstCheckAt(lastSeenAt: number, intervalSeconds: number, rules: RuleSet): number | null {
  const k = rules.smallestSilenceMultiplier;
  return k === null ? null : silenceDeadline(lastSeenAt, intervalSeconds, k);
}

export interface SilenceCheck {
  readonly decisions: AlertDecision[];
  /** When to look at the device again (a later rule's deadline, a window's end); null: at its next uplink. */
  readonly nextCheckAt: number | null;
}

/**
 * The silence rules' verdict on a device whose earliest deadline has passed: each rule whose own
 * deadline (last seen + its multiplier × the device's own expected interval) is at or before
 * `now` raises, unless an alert is already open or latched, the device is out of its scope or
 * not expected to talk (suspended, decommissioned), or a window or campaign keeps it quiet (then
 * it is looked at again when that ends).
 */
export function checkSilence(
  device: { readonly deviceId: string; readonly lastSeenAt: number; readonly facts: DeviceFacts | null },
  now: number,
  rules: RuleSet,
  slots: AlertSlots,
  suppressedUntil: (rule: ActiveRule, facts: DeviceFacts | null, at: number) => number | null,
): SilenceCheck {
  const decisions: AlertDecision[] = [];
  let next: number | null = null;
  const later = (at: number) => (next = next === null ? at : Math.min(next, at));
  if (!isMonitored(device.facts)) return { decisions, nextCheckAt: null };
  const interval = expectedIntervalSeconds(device.facts);
  for (const rule of rules.silence) {
    if (!inScope(rule.definition.scope, device.facts)) continue;
    const { multiplier } = rule.definition.condition;
    const deadline = silenceDeadline(device.lastSeenAt, interval, multiplier);
    if (deadline > now) {
      later(deadline);
      continue;
    }
    const slot = slots.get(rule.ruleId, device.deviceId);
    if (slot.status !== 'closed') continue;
    const quietUntil = suppressedUntil(rule, device.facts, now);
    if (quietUntil !== null) {
      later(quietUntil);
      continue;
    }
    const silentSeconds = Math.round((now - device.lastSeenAt) / 1000);
    const decision: AlertDecision = {
      action: 'raise',
      ruleId: rule.ruleId,
      subject: device.deviceId,
      deviceId: device.deviceId,
      episode: slot.episode + 1,
      observedAt: deadline,
      value: silentSeconds,
      bound: Math.round(multiplier * interval),
      correlationId: null,
      message: `no uplink for ${silentSeconds} s, more than ${multiplier} × its expected interval of ${interval} s`,
    };
    slots.apply(decision);
    decisions.push(decision);
  }
  return { decisions, nextCheckAt: next };
}
