import type { DeviceFacts } from '../devices/device-facts';
import type { Condition, EventSource } from '../rules/rule';
import { inScope } from '../rules/scope';
import type { AlertDecision, AlertSlots } from './alert-slots';
import type { ActiveRule } from './rule-set';

/** A domain event from one of the event sources, its data merged with its stream's earlier data. */
export interface ObservedEvent {
  readonly source: EventSource;
  readonly eventId: string;
  readonly eventType: string;
  readonly stream: string | null;
  readonly deviceId: string | null;
  readonly occurredAt: number;
  /** This event's data over the data of the earlier events of its stream (e.g. a command's path). */
  readonly data: Readonly<Record<string, unknown>>;
}

export type EventRule = ActiveRule<Extract<Condition, { kind: 'event' }>>;

/** Reads `a.b.c` in the data; a leading `data.` is allowed. */
function field(data: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = data;
  for (const part of path.replace(/^data\./, '').split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function matchesWhere(rule: EventRule, event: ObservedEvent): boolean {
  return Object.entries(rule.definition.condition.where).every(([path, expected]) => {
    const actual = field(event.data, path);
    const scalar = typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean';
    return scalar && String(actual) === String(expected);
  });
}

/** Occurrence times within the rule's window after adding `at` (sorted, oldest first). */
export function recordOccurrence(times: readonly number[], at: number, withinSeconds: number): number[] {
  const from = at - withinSeconds * 1000;
  return [...times, at].filter((t) => t > from).sort((a, b) => a - b);
}

/**
 * One event against the event rules of its source: a matching event adds to its device's count
 * within the rule's window and raises at `count`; an event of a `clearOn` type clears.
 * `occurrences` are the per (rule, device) times kept by the caller.
 */
export function evaluateEvent(
  event: ObservedEvent,
  rules: readonly EventRule[],
  facts: DeviceFacts | null,
  slots: AlertSlots,
  occurrences: {
    get(ruleId: string, subject: string): readonly number[];
    set(ruleId: string, subject: string, times: readonly number[]): void;
  },
  suppressedUntil: (rule: ActiveRule, facts: DeviceFacts | null, at: number) => number | null,
): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  const subject = event.deviceId;
  if (subject === null) return decisions;
  for (const rule of rules) {
    const c = rule.definition.condition;
    if (c.source !== event.source || !inScope(rule.definition.scope, facts)) continue;
    const slot = slots.get(rule.ruleId, subject);
    const common = {
      ruleId: rule.ruleId,
      subject,
      deviceId: subject,
      observedAt: event.occurredAt,
      correlationId: event.eventId,
    };
    if (c.clearOn.includes(event.eventType) && matchesWhere(rule, event)) {
      occurrences.set(rule.ruleId, subject, []);
      const clear: AlertDecision | null =
        slot.status === 'open' && slot.alertId
          ? {
              action: 'clear',
              ...common,
              alertId: slot.alertId,
              value: null,
              message: `${event.eventType} happened`,
            }
          : slot.status === 'latched'
            ? { action: 'release', ruleId: rule.ruleId, subject }
            : null;
      if (clear) {
        slots.apply(clear);
        decisions.push(clear);
      }
      continue;
    }
    if (!c.eventTypes.includes(event.eventType) || !matchesWhere(rule, event)) continue;
    const times = recordOccurrence(occurrences.get(rule.ruleId, subject), event.occurredAt, c.withinSeconds);
    occurrences.set(rule.ruleId, subject, times);
    if (times.length < c.count || slot.status !== 'closed') continue;
    if (suppressedUntil(rule, facts, event.occurredAt) !== null) continue;
    const raise: AlertDecision = {
      action: 'raise',
      ...common,
      episode: slot.episode + 1,
      value: times.length,
      bound: c.count,
      message:
        c.count === 1
          ? `${event.eventType} (${event.source})`
          : `${times.length} × ${c.eventTypes.join('/')} within ${c.withinSeconds} s`,
    };
    slots.apply(raise);
    decisions.push(raise);
    // The next alert needs `count` new occurrences, not one more on top of these.
    occurrences.set(rule.ruleId, subject, []);
  }
  return decisions;
}
