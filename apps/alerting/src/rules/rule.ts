import { assertNever } from '@fleet/core';
import type { DeviceQuery } from './scope';

/**
 * Alert rules: what to watch (a condition of one kind), over which devices (scope), how loud
 * (severity, escalation) and when to keep quiet (suppression). Every change to a rule is an
 * audited operator change, so each rule is an event stream `rule-<id>`; a revision keeps the id
 * and bumps `definitionVersion`, which every alert of the rule records.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/** Which devices a rule watches. */
export type Scope =
  | { readonly type: 'fleet' }
  /** A static group of device-twin: the devices carrying its tag. */
  | { readonly type: 'group'; readonly tag: string }
  /** A filter over what device events say about the device (see scope.ts). */
  | { readonly type: 'query'; readonly query: DeviceQuery };

/** Kafka sources of event rules (each a topic of the service's configuration). */
export const EVENT_SOURCES = [
  'device-events',
  'command-events',
  'campaign-events',
  'device-access',
  'telemetry-dead-letters',
] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const RATE_METRICS = ['uplinksPerHour', 'airtimeMsPerHour', 'dutyCyclePercent'] as const;
export type RateMetric = (typeof RATE_METRICS)[number];

export type Condition =
  /** Raise when the metric passes `raiseAt`, clear when it is back past `clearAt` (hysteresis). */
  | {
      readonly kind: 'threshold';
      readonly metric: string;
      readonly operator: 'below' | 'above';
      readonly raiseAt: number;
      readonly clearAt: number;
    }
  /** Raise when a device was not heard from for `multiplier` × its own expected interval. */
  | { readonly kind: 'silence'; readonly multiplier: number }
  /** Raise when the sliding-hour rate is above `raiseAbove`, clear at or below `clearAt`. */
  | {
      readonly kind: 'rate';
      readonly metric: RateMetric;
      readonly raiseAbove: number;
      readonly clearAt: number;
    }
  /** Raise when `count` matching events of one device happened within `withinSeconds`. */
  | {
      readonly kind: 'event';
      readonly source: EventSource;
      readonly eventTypes: readonly string[];
      /** Fields of the event's data (merged over its stream) that must equal these values. */
      readonly where: Readonly<Record<string, string | number | boolean>>;
      readonly count: number;
      readonly withinSeconds: number;
      /** Event types of the same source and device that clear the alert. */
      readonly clearOn: readonly string[];
    }
  /** Raise when desired ≠ reported (on `keys`, or any desired key) for longer than `forSeconds`. */
  | { readonly kind: 'drift'; readonly keys: readonly string[] | null; readonly forSeconds: number }
  /** Raise on a campaign whose failed share of finished devices reaches `raiseAtPercent`. */
  | {
      readonly kind: 'campaign-error-rate';
      readonly raiseAtPercent: number;
      readonly clearAtPercent: number;
      readonly minimumFinished: number;
    };

export type RuleKind = Condition['kind'];

export interface RuleDefinition {
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  readonly scope: Scope;
  readonly condition: Condition;
  /** Unacknowledged this long after being raised, an alert is escalated to `severity`. */
  readonly escalation: { readonly afterSeconds: number; readonly severity: Severity } | null;
  /** Whether maintenance windows and a device's running firmware campaign keep the rule quiet. */
  readonly suppression: { readonly maintenanceWindows: boolean; readonly campaigns: boolean };
}

export type RuleEvent =
  | { readonly type: 'RuleCreated'; readonly data: { ruleId: string; definition: RuleDefinition } }
  | { readonly type: 'RuleRevised'; readonly data: { ruleId: string; definition: RuleDefinition } }
  | { readonly type: 'RuleDisabled'; readonly data: { ruleId: string } }
  | { readonly type: 'RuleEnabled'; readonly data: { ruleId: string } }
  | { readonly type: 'RuleDeleted'; readonly data: { ruleId: string } };

export type RuleStatus = 'enabled' | 'disabled' | 'deleted';

export interface ExistingRule {
  readonly status: RuleStatus;
  readonly ruleId: string;
  readonly definition: RuleDefinition;
  /** 1 when created, +1 per revision: what alerts record as `ruleVersion`. */
  readonly definitionVersion: number;
  /** Number of events in the rule's stream: the ETag for `If-Match`. */
  readonly version: number;
}

export type RuleState = { readonly status: 'none'; readonly version: 0 } | ExistingRule;

export const initialRuleState: RuleState = { status: 'none', version: 0 };

export const ruleStream = (ruleId: string): string => `rule-${ruleId}`;

export function evolveRule(state: RuleState, event: RuleEvent): RuleState {
  const version = state.version + 1;
  switch (event.type) {
    case 'RuleCreated':
      return {
        status: 'enabled',
        ruleId: event.data.ruleId,
        definition: event.data.definition,
        definitionVersion: 1,
        version,
      };
    case 'RuleRevised':
      if (state.status === 'none') return state;
      return {
        ...state,
        definition: event.data.definition,
        definitionVersion: state.definitionVersion + 1,
        version,
      };
    case 'RuleDisabled':
      return state.status === 'none' ? state : { ...state, status: 'disabled', version };
    case 'RuleEnabled':
      return state.status === 'none' ? state : { ...state, status: 'enabled', version };
    case 'RuleDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted', version };
    default:
      return assertNever(event);
  }
}
