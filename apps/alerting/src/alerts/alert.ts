import { assertNever } from '@fleet/core';
import type { RuleKind, Severity } from '../rules/rule';

/**
 * An alert: one episode of one rule's condition on one subject (a device, or a campaign), from
 * raised to cleared. Each alert is its own event stream `alert-<id>`; its id is derived from
 * (rule, subject, episode), so evaluating the same input twice raises the same alert once.
 */
export interface AlertRaisedData {
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly ruleKind: RuleKind;
  readonly severity: Severity;
  /** The device the alert is about; null for a campaign alert. */
  readonly deviceId: string | null;
  /** The device id, or `campaign:<id>`. */
  readonly subject: string;
  /** 1 for the rule's first alert on the subject, +1 for each later one. */
  readonly episode: number;
  /** When the condition was observed (epoch ms): the uplink, the silence deadline, the event. */
  readonly observedAt: number;
  readonly value: number | null;
  readonly bound: number | null;
  readonly message: string;
}

export type AlertEvent =
  | { readonly type: 'AlertRaised'; readonly data: AlertRaisedData }
  | {
      readonly type: 'AlertAcknowledged';
      readonly data: {
        alertId: string;
        deviceId: string | null;
        acknowledgedBy: string;
        note: string | null;
      };
    }
  | {
      readonly type: 'AlertCleared';
      readonly data: {
        alertId: string;
        deviceId: string | null;
        /** True when the condition ended; false when an operator cleared it. */
        automatic: boolean;
        clearedBy: string;
        observedAt: number | null;
        value: number | null;
        message: string | null;
      };
    }
  | {
      readonly type: 'AlertEscalated';
      readonly data: {
        alertId: string;
        deviceId: string | null;
        previousSeverity: Severity;
        severity: Severity;
        unacknowledgedSeconds: number;
      };
    };

export type AlertEventType = AlertEvent['type'];

export const ALERT_EVENT_TYPES: readonly AlertEventType[] = [
  'AlertRaised',
  'AlertAcknowledged',
  'AlertCleared',
  'AlertEscalated',
];

export type AlertStatus = 'open' | 'acknowledged' | 'cleared';

export interface ExistingAlert extends Omit<AlertRaisedData, 'severity'> {
  readonly status: AlertStatus;
  readonly severity: Severity;
  readonly acknowledgedBy: string | null;
  readonly note: string | null;
  readonly escalated: boolean;
  readonly clearedBy: string | null;
  /** Number of events in the alert's stream. */
  readonly version: number;
}

export type AlertState = { readonly status: 'none'; readonly version: 0 } | ExistingAlert;

export const initialAlertState: AlertState = { status: 'none', version: 0 };

export const alertStream = (alertId: string): string => `alert-${alertId}`;

export function evolveAlert(state: AlertState, event: AlertEvent): AlertState {
  const version = state.version + 1;
  if (event.type === 'AlertRaised') {
    return {
      ...event.data,
      status: 'open',
      acknowledgedBy: null,
      note: null,
      escalated: false,
      clearedBy: null,
      version,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'AlertAcknowledged':
      return {
        ...state,
        status: 'acknowledged',
        acknowledgedBy: event.data.acknowledgedBy,
        note: event.data.note,
        version,
      };
    case 'AlertCleared':
      return { ...state, status: 'cleared', clearedBy: event.data.clearedBy, version };
    case 'AlertEscalated':
      return { ...state, severity: event.data.severity, escalated: true, version };
    default:
      return assertNever(event);
  }
}
