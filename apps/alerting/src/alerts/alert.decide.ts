import { assertNever, IllegalStateError, NotFoundError } from '@fleet/core';
import type { Severity } from '../rules/rule';
import {
  evolveAlert,
  initialAlertState,
  type AlertEvent,
  type AlertRaisedData,
  type AlertState,
  type ExistingAlert,
} from './alert';

export type AlertCommand =
  | { readonly type: 'RaiseAlert'; readonly alertId: string; readonly raised: AlertRaisedData }
  | {
      readonly type: 'AcknowledgeAlert';
      readonly alertId: string;
      readonly by: string;
      readonly note: string | null;
    }
  | {
      readonly type: 'ClearAlert';
      readonly alertId: string;
      readonly by: string;
      /** An automatic clear of an alert already cleared is a no-op; an operator's is refused. */
      readonly automatic: boolean;
      readonly observedAt: number | null;
      readonly value: number | null;
      readonly message: string | null;
    }
  | {
      readonly type: 'EscalateAlert';
      readonly alertId: string;
      readonly severity: Severity;
      readonly unacknowledgedSeconds: number;
    };

/**
 * Decides an alert command; pure. Raising an alert that exists is a no-op (a replayed
 * evaluation), as are automatic clears of cleared alerts and escalations of alerts no longer
 * open and unacknowledged: the evaluator and the sweeps may race an operator, never fight one.
 */
export function decideAlert(command: AlertCommand, state: AlertState): AlertEvent[] {
  if (command.type === 'RaiseAlert') {
    return state.status === 'none' ? [{ type: 'AlertRaised', data: command.raised }] : [];
  }
  const alert = existing(state, command.alertId);
  const { alertId, deviceId } = alert;
  switch (command.type) {
    case 'AcknowledgeAlert':
      if (alert.status === 'cleared') {
        throw new IllegalStateError(`alert ${alertId} is cleared; there is nothing to acknowledge`, {
          alertId,
        });
      }
      if (alert.status === 'acknowledged') return [];
      return [
        {
          type: 'AlertAcknowledged',
          data: { alertId, deviceId, acknowledgedBy: command.by, note: command.note },
        },
      ];
    case 'ClearAlert':
      if (alert.status === 'cleared') {
        if (command.automatic) return [];
        throw new IllegalStateError(`alert ${alertId} is already cleared`, { alertId });
      }
      return [
        {
          type: 'AlertCleared',
          data: {
            alertId,
            deviceId,
            automatic: command.automatic,
            clearedBy: command.by,
            observedAt: command.observedAt,
            value: command.value,
            message: command.message,
          },
        },
      ];
    case 'EscalateAlert':
      if (alert.status !== 'open' || alert.escalated) return [];
      return [
        {
          type: 'AlertEscalated',
          data: {
            alertId,
            deviceId,
            previousSeverity: alert.severity,
            severity: command.severity,
            unacknowledgedSeconds: command.unacknowledgedSeconds,
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

function existing(state: AlertState, alertId: string): ExistingAlert {
  if (state.status === 'none') throw new NotFoundError(`alert ${alertId} not found`, { alertId });
  return state;
}

export const alertDecider = { decide: decideAlert, evolve: evolveAlert, initialState: initialAlertState };
