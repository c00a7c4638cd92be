import type { DeviceFacts } from '../devices/device-facts';
import type { Condition, RuleDefinition } from '../rules/rule';
import { AlertSlots, type AlertSlot } from './alert-slots';
import type { ActiveRule } from './rule-set';

/** Test fixtures of the evaluation unit tests (pure, no I/O). */
export function rule<C extends Condition>(
  ruleId: string,
  condition: C,
  overrides: Partial<RuleDefinition> = {},
): ActiveRule<C> {
  return {
    ruleId,
    ruleVersion: 1,
    definition: {
      name: ruleId,
      description: '',
      severity: 'warning',
      scope: { type: 'fleet' },
      escalation: null,
      suppression: { maintenanceWindows: true, campaigns: true },
      ...overrides,
      condition,
    },
  };
}

export const slots = (initial: AlertSlot[] = []) => new AlertSlots(initial, (r, s, e) => `${r}/${s}/${e}`);

export function facts(overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    deviceId: 'd1',
    status: 'active',
    manufacturer: 'acme',
    model: 'WM-200',
    firmwareVersion: '1.0.0',
    region: null,
    deviceClass: { kind: 'always-on', wakeIntervalSeconds: null },
    tags: [],
    attributes: {},
    desired: {},
    reported: {},
    driftSince: {},
    campaign: null,
    revision: 1,
    ...overrides,
  };
}

export const never = (): number | null => null;
