import { assertNever, type EventMetadata } from '@fleet/core';
import {
  applyChanges,
  configurationDelta,
  type Configuration,
  type ConfigurationChanges,
  type Region,
} from '../configuration';
import {
  upcastDeviceEvent,
  type DeviceProvisionedData,
  type DeviceCredential,
  type DeviceEvent,
  type DeviceStatus,
} from '../device';

/** Who last changed a property, when, and as part of what (request correlation, bulk job). */
export interface PropertyMetadata {
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly correlationId: string;
  readonly jobId: string | null;
  /** Twin version that set it. */
  readonly version: number;
}

/** The public part of the credential: never a secret, a hash or a ciphertext. */
export interface CredentialSummary {
  readonly type: DeviceCredential['type'] | null;
  readonly certificateFingerprint: string | null;
  readonly certificateNotAfter: string | null;
  readonly kekId: string | null;
  readonly issuedAt: string | null;
  readonly revoked: boolean;
}

/** The device twin as rebuilt from the device's events alone (connectivity comes from telemetry). */
export interface TwinView extends Omit<DeviceProvisionedData, 'credential'> {
  readonly tenant: string;
  readonly status: DeviceStatus;
  readonly statusReason: string | null;
  readonly statusChangedAt: string;
  readonly credential: CredentialSummary;
  readonly desired: Configuration;
  readonly reported: Configuration;
  readonly metadata: {
    readonly desired: Readonly<Record<string, PropertyMetadata>>;
    readonly reported: Readonly<Record<string, PropertyMetadata>>;
  };
  /** Number of events applied: the ETag for conditional updates. */
  readonly version: number;
  readonly provisionedAt: string;
  readonly provisionedBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** What the twin needs of a recorded event. */
export interface TwinEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata;
  /** 0-based revision in the device stream. */
  readonly revision: bigint | number;
}

/** Event types the twin knows; any other type only moves the version. */
const KNOWN = new Set<string>([
  'DeviceProvisioned',
  'DeviceActivated',
  'DeviceSuspended',
  'DeviceResumed',
  'DeviceQuarantined',
  'DeviceCredentialsRotated',
  'DeviceDecommissioned',
  'DeviceReEnrolled',
  'DeviceLabelsChanged',
  'DesiredConfigurationChanged',
  'ConfigurationApplied',
  'FirmwareVersionChanged',
]);

/**
 * Folds one event into the twin; pure, shared by the live projection, the rebuild and the
 * time-travel queries so that all three agree by construction. An event at or below the twin's
 * version is a redelivery and changes nothing.
 */
export function evolveTwin(view: TwinView | undefined, recorded: TwinEvent): TwinView | undefined {
  const version = Number(recorded.revision) + 1;
  if (view && version <= view.version) return view;
  const { metadata } = recorded;
  if (!KNOWN.has(recorded.type)) return view && { ...view, version };
  const event = upcastDeviceEvent(recorded as unknown as DeviceEvent);
  if (event.type === 'DeviceProvisioned') {
    const d = event.data;
    return {
      deviceId: d.deviceId,
      tenant: metadata.tenant,
      serial: d.serial,
      manufacturer: d.manufacturer,
      model: d.model,
      hardwareRevision: d.hardwareRevision,
      firmwareVersion: d.firmwareVersion,
      deviceClass: d.deviceClass,
      region: d.region,
      tags: d.tags,
      attributes: d.attributes,
      status: 'provisioned',
      statusReason: metadata.reason,
      statusChangedAt: metadata.occurredAt,
      credential: summarise(d.credential, metadata.occurredAt),
      desired: {},
      reported: {},
      metadata: { desired: {}, reported: {} },
      version,
      provisionedAt: metadata.occurredAt,
      provisionedBy: metadata.actor.id,
      updatedAt: metadata.occurredAt,
      updatedBy: metadata.actor.id,
    };
  }
  if (!view) return undefined;
  const next: TwinView = { ...view, version, updatedAt: metadata.occurredAt, updatedBy: metadata.actor.id };
  const status = (s: DeviceStatus): TwinView => ({
    ...next,
    status: s,
    statusReason: metadata.reason,
    statusChangedAt: metadata.occurredAt,
  });
  switch (event.type) {
    case 'DeviceActivated':
    case 'DeviceResumed':
      return status('active');
    case 'DeviceSuspended':
      return status('suspended');
    case 'DeviceQuarantined':
      return status('quarantined');
    case 'DeviceDecommissioned':
      return { ...status('decommissioned'), credential: { ...view.credential, revoked: true } };
    case 'DeviceReEnrolled':
      return { ...status('provisioned'), credential: summarise(event.data.credential, metadata.occurredAt) };
    case 'DeviceCredentialsRotated':
      return { ...next, credential: summarise(event.data.credential, metadata.occurredAt) };
    case 'DeviceLabelsChanged':
      return { ...next, tags: event.data.tags, attributes: event.data.attributes };
    case 'DesiredConfigurationChanged':
      return {
        ...next,
        desired: applyChanges(view.desired, event.data.changes),
        metadata: {
          ...view.metadata,
          desired: stamp(view.metadata.desired, event.data.changes, metadata, version, event.data.jobId),
        },
      };
    case 'ConfigurationApplied':
      return {
        ...next,
        reported: applyChanges(view.reported, event.data.reported),
        metadata: {
          ...view.metadata,
          reported: stamp(view.metadata.reported, event.data.reported, metadata, version, null),
        },
      };
    case 'FirmwareVersionChanged':
      return { ...next, firmwareVersion: event.data.firmwareVersion };
    default:
      return assertNever(event);
  }
}

/**
 * Rebuilds a twin from a device's events (or continues from a snapshot `from`), optionally stopping
 * at a version or a point in time.
 */
export function foldTwin(
  events: readonly TwinEvent[],
  until: { version?: number; at?: Date } = {},
  from?: TwinView,
): TwinView | undefined {
  let view = from;
  for (const event of events) {
    if (until.version !== undefined && Number(event.revision) + 1 > until.version) break;
    if (until.at !== undefined && Date.parse(event.metadata.occurredAt) > until.at.getTime()) break;
    view = evolveTwin(view, event);
  }
  return view;
}

export const twinDelta = (view: Pick<TwinView, 'desired' | 'reported'>): Configuration =>
  configurationDelta(view.desired, view.reported);

function summarise(credential: DeviceCredential, issuedAt: string): CredentialSummary {
  return {
    type: credential.type,
    certificateFingerprint: credential.certificateFingerprint,
    certificateNotAfter: credential.certificateNotAfter,
    kekId: credential.kekId,
    issuedAt,
    revoked: false,
  };
}

function stamp(
  current: Readonly<Record<string, PropertyMetadata>>,
  changes: ConfigurationChanges,
  metadata: EventMetadata,
  version: number,
  jobId: string | null,
): Record<string, PropertyMetadata> {
  const next = { ...current };
  for (const key of Object.keys(changes)) {
    next[key] = {
      updatedAt: metadata.occurredAt,
      updatedBy: metadata.actor.id,
      correlationId: metadata.correlationId,
      jobId,
      version,
    };
  }
  return next;
}

/** Searchable facts; a change in any of them opens a new period in the twin timeline. */
export interface TimelineFacts {
  readonly serial: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly firmwareVersion: string | null;
  readonly status: DeviceStatus;
  readonly region: Region | null;
  readonly tags: readonly string[];
}

export const timelineFacts = (view: TwinView): TimelineFacts => ({
  serial: view.serial,
  manufacturer: view.manufacturer,
  model: view.model,
  firmwareVersion: view.firmwareVersion,
  status: view.status,
  region: view.region,
  tags: view.tags,
});

export function timelineChanged(before: TwinView | undefined, after: TwinView): boolean {
  if (!before) return true;
  // Called for every event of a rebuild: compares fields in place rather than building fact objects.
  return (
    before.status !== after.status ||
    before.firmwareVersion !== after.firmwareVersion ||
    (before.tags !== after.tags && !sameStrings(before.tags, after.tags)) ||
    before.serial !== after.serial ||
    before.manufacturer !== after.manufacturer ||
    before.model !== after.model ||
    before.region !== after.region
  );
}

const sameStrings = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((value, i) => value === b[i]);

/** Default reporting interval when neither configuration nor class says (always-on, LoRaWAN). */
const DEFAULT_INTERVAL_SECONDS = { 'always-on': 300, sleepy: 3_600, lorawan: 3_600 } as const;

/**
 * How often the device is expected to be heard from: its reported reporting interval, else the
 * desired one, else its wake interval, else its class's default.
 */
export function expectedIntervalSeconds(
  view: Pick<TwinView, 'desired' | 'reported' | 'deviceClass'>,
): number {
  const key = 'application.reportingIntervalSeconds';
  const configured = view.reported[key] ?? view.desired[key];
  if (typeof configured === 'number' && configured > 0) return configured;
  return view.deviceClass.wakeIntervalSeconds ?? DEFAULT_INTERVAL_SECONDS[view.deviceClass.kind];
}

/** A device is offline once it missed two expected reports (and at least two minutes passed). */
export const offlineAfterSeconds = (expectedInterval: number): number => Math.max(2 * expectedInterval, 120);
