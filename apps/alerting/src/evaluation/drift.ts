import { isMonitored, type DeviceFacts } from '../devices/device-facts';
import { inScope } from '../rules/scope';
import { hysteresis, type AlertDecision, type AlertSlots } from './alert-slots';
import type { ActiveRule, RuleSet } from './rule-set';

export interface DriftCheck {
  readonly decisions: AlertDecision[];
  /** When a drifting device is due (or a window ends); null when nothing is pending. */
  readonly nextCheckAt: number | null;
}

/** Since when the keys a rule watches (null: every desired key) have drifted; null if none does. */
export function driftStart(facts: DeviceFacts, keys: readonly string[] | null): number | null {
  let start: number | null = null;
  for (const [key, since] of Object.entries(facts.driftSince)) {
    if (keys && !keys.includes(key)) continue;
    if (start === null || since < start) start = since;
  }
  return start;
}

/**
 * Drift rules on one device at `now`: desired ≠ reported on the watched keys for at least the
 * rule's `forSeconds` raises; configuration matching again clears. Called when the device's
 * configuration changes and when its drift deadline passes.
 */
export function checkDrift(
  facts: DeviceFacts,
  now: number,
  rules: RuleSet,
  slots: AlertSlots,
  suppressedUntil: (rule: ActiveRule, facts: DeviceFacts | null, at: number) => number | null,
): DriftCheck {
  const decisions: AlertDecision[] = [];
  let next: number | null = null;
  const later = (at: number) => (next = next === null ? at : Math.min(next, at));
  const decide = (d: AlertDecision) => {
    slots.apply(d);
    decisions.push(d);
  };
  for (const rule of rules.drift) {
    const { keys, forSeconds } = rule.definition.condition;
    const slot = slots.get(rule.ruleId, facts.deviceId);
    const watched = inScope(rule.definition.scope, facts) && isMonitored(facts);
    const start = watched ? driftStart(facts, keys) : null;
    const due = start === null ? null : start + forSeconds * 1000;
    if (due !== null && due > now) later(due);
    const outcome = hysteresis(slot.status, due !== null && due <= now, start === null);
    const common = {
      ruleId: rule.ruleId,
      subject: facts.deviceId,
      deviceId: facts.deviceId,
      correlationId: null,
    };
    if (outcome === 'raise' && due !== null && start !== null) {
      const quietUntil = suppressedUntil(rule, facts, now);
      if (quietUntil !== null) {
        later(quietUntil);
        continue;
      }
      const drifting = Object.keys(facts.driftSince).filter((k) => !keys || keys.includes(k));
      decide({
        action: 'raise',
        ...common,
        episode: slot.episode + 1,
        observedAt: due,
        value: Math.round((now - start) / 1000),
        bound: forSeconds,
        message: `reported configuration differs from desired on ${drifting.join(', ')} for ${Math.round((now - start) / 1000)} s`,
      });
    } else if (outcome === 'clear' && slot.alertId) {
      decide({
        action: 'clear',
        ...common,
        alertId: slot.alertId,
        observedAt: now,
        value: null,
        message: 'reported configuration matches desired again',
      });
    } else if (outcome === 'release') {
      decide({ action: 'release', ruleId: rule.ruleId, subject: facts.deviceId });
    }
  }
  return { decisions, nextCheckAt: next };
}
