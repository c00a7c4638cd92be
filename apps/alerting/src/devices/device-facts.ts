import { assertNever } from '@fleet/core';

export type Scalar = string | number | boolean;

/**
 * What alerting knows about a device, folded from its events on `fleet.device-events.v1`: enough
 * to place it in rule scopes, know how often it should report, whether its configuration drifts,
 * and whether a maintenance window or a firmware campaign keeps its alerts quiet.
 */
export interface DeviceFacts {
  readonly deviceId: string;
  readonly status: 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned';
  readonly manufacturer: string;
  readonly model: string;
  readonly firmwareVersion: string | null;
  readonly region: string | null;
  readonly deviceClass: {
    readonly kind: 'always-on' | 'sleepy' | 'lorawan';
    readonly wakeIntervalSeconds: number | null;
  };
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly desired: Readonly<Record<string, Scalar>>;
  readonly reported: Readonly<Record<string, Scalar>>;
  /** Since when (epoch ms) each drifting key (desired, and reported differently) has drifted. */
  readonly driftSince: Readonly<Record<string, number>>;
  /** The campaign step that keeps the device's alerts quiet, until `until` (epoch ms). */
  readonly campaign: { readonly campaignId: string; readonly until: number } | null;
  /** Revision of the last device event applied; older or repeated events are ignored. */
  readonly revision: number;
}

type Of<T = object> = { readonly deviceId: string } & T;

/** Device events as alerting reads them (configuration maps already plain). */
export type DeviceFactEvent =
  | {
      readonly type: 'DeviceProvisioned';
      readonly data: Of<{
        manufacturer: string;
        model: string;
        firmwareVersion: string | null;
        tags: readonly string[];
        attributes: Readonly<Record<string, string>>;
        deviceClass: { kind: string; wakeIntervalSeconds: number | null };
        region: string | null;
      }>;
    }
  | {
      readonly type:
        | 'DeviceActivated'
        | 'DeviceSuspended'
        | 'DeviceResumed'
        | 'DeviceQuarantined'
        | 'DeviceDecommissioned'
        | 'DeviceReEnrolled'
        | 'DeviceCredentialsRotated';
      readonly data: Of;
    }
  | {
      readonly type: 'DeviceLabelsChanged';
      readonly data: Of<{ tags: readonly string[]; attributes: Readonly<Record<string, string>> }>;
    }
  | {
      readonly type: 'DesiredConfigurationChanged';
      readonly data: Of<{ changes: Readonly<Record<string, Scalar | null>> }>;
    }
  | {
      readonly type: 'ConfigurationApplied';
      readonly data: Of<{ reported: Readonly<Record<string, Scalar | null>> }>;
    }
  | { readonly type: 'FirmwareVersionChanged'; readonly data: Of<{ firmwareVersion: string }> };

export const DEVICE_FACT_EVENT_TYPES: ReadonlySet<string> = new Set<DeviceFactEvent['type']>([
  'DeviceProvisioned',
  'DeviceActivated',
  'DeviceSuspended',
  'DeviceResumed',
  'DeviceQuarantined',
  'DeviceDecommissioned',
  'DeviceReEnrolled',
  'DeviceCredentialsRotated',
  'DeviceLabelsChanged',
  'DesiredConfigurationChanged',
  'ConfigurationApplied',
  'FirmwareVersionChanged',
]);

const CLASS_KINDS = ['always-on', 'sleepy', 'lorawan'] as const;

/**
 * Folds one device event into the facts. `revision` is the event's position in its stream and
 * `at` when it occurred (epoch ms, the start of any drift it causes).
 */
export function evolveFacts(
  facts: DeviceFacts | null,
  event: DeviceFactEvent,
  revision: number,
  at: number,
): DeviceFacts | null {
  if (event.type === 'DeviceProvisioned') {
    const d = event.data;
    const kind = (CLASS_KINDS as readonly string[]).includes(d.deviceClass.kind)
      ? (d.deviceClass.kind as DeviceFacts['deviceClass']['kind'])
      : 'always-on';
    return {
      deviceId: d.deviceId,
      status: 'provisioned',
      manufacturer: d.manufacturer,
      model: d.model,
      firmwareVersion: d.firmwareVersion,
      region: d.region,
      deviceClass: { kind, wakeIntervalSeconds: d.deviceClass.wakeIntervalSeconds },
      tags: [...d.tags],
      attributes: { ...d.attributes },
      desired: {},
      reported: {},
      driftSince: {},
      campaign: facts?.campaign ?? null,
      revision,
    };
  }
  if (!facts) return null;
  const next = { ...facts, revision };
  switch (event.type) {
    case 'DeviceActivated':
    case 'DeviceResumed':
      return { ...next, status: 'active' };
    case 'DeviceSuspended':
      return { ...next, status: 'suspended' };
    case 'DeviceQuarantined':
      return { ...next, status: 'quarantined' };
    case 'DeviceDecommissioned':
      return { ...next, status: 'decommissioned' };
    case 'DeviceReEnrolled':
      return { ...next, status: 'provisioned' };
    case 'DeviceCredentialsRotated':
      return next;
    case 'DeviceLabelsChanged':
      return { ...next, tags: [...event.data.tags], attributes: { ...event.data.attributes } };
    case 'DesiredConfigurationChanged': {
      const desired = applyChanges(facts.desired, event.data.changes);
      return { ...next, desired, driftSince: driftSince(desired, facts.reported, facts.driftSince, at) };
    }
    case 'ConfigurationApplied': {
      const reported = applyChanges(facts.reported, event.data.reported);
      return { ...next, reported, driftSince: driftSince(facts.desired, reported, facts.driftSince, at) };
    }
    case 'FirmwareVersionChanged':
      return { ...next, firmwareVersion: event.data.firmwareVersion };
    default:
      return assertNever(event);
  }
}

function applyChanges(
  current: Readonly<Record<string, Scalar>>,
  changes: Readonly<Record<string, Scalar | null>>,
): Record<string, Scalar> {
  const next: Record<string, Scalar> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** Keys whose desired value the device does not report (yet): what drift rules watch. */
export function driftingKeys(
  desired: Readonly<Record<string, Scalar>>,
  reported: Readonly<Record<string, Scalar>>,
): string[] {
  return Object.keys(desired).filter((key) => reported[key] !== desired[key]);
}

/** A key keeps the moment it started drifting until it stops; a key that starts now gets `at`. */
function driftSince(
  desired: Readonly<Record<string, Scalar>>,
  reported: Readonly<Record<string, Scalar>>,
  previous: Readonly<Record<string, number>>,
  at: number,
): Record<string, number> {
  return Object.fromEntries(driftingKeys(desired, reported).map((key) => [key, previous[key] ?? at]));
}

/** Default reporting interval when neither configuration nor class says (as device-twin). */
const DEFAULT_INTERVAL_SECONDS = { 'always-on': 300, sleepy: 3_600, lorawan: 3_600 } as const;
const UNKNOWN_DEVICE_INTERVAL_SECONDS = DEFAULT_INTERVAL_SECONDS['always-on'];
const INTERVAL_KEY = 'application.reportingIntervalSeconds';

/**
 * How often the device is expected to be heard from, the same way device-twin decides it: its
 * reported reporting interval, else the desired one, else its wake interval, else its class's
 * default. A device not known yet is taken to be always-on.
 */
export function expectedIntervalSeconds(facts: DeviceFacts | null): number {
  if (!facts) return UNKNOWN_DEVICE_INTERVAL_SECONDS;
  const configured = facts.reported[INTERVAL_KEY] ?? facts.desired[INTERVAL_KEY];
  if (typeof configured === 'number' && configured > 0) return configured;
  return facts.deviceClass.wakeIntervalSeconds ?? DEFAULT_INTERVAL_SECONDS[facts.deviceClass.kind];
}

/** Devices that may talk; the others are neither expected to report nor alerted on for silence. */
export const isMonitored = (facts: DeviceFacts | null): boolean =>
  facts === null ||
  facts.status === 'active' ||
  facts.status === 'provisioned' ||
  facts.status === 'quarantined';
