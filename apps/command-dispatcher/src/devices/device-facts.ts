import type { DeviceView } from '../commands/gates';

/** What the dispatcher keeps from device events (device-twin owns the devices; this is a copy). */
export interface DeviceFacts {
  readonly deviceId: string;
  /** Revision of the last device event applied (0-based stream revision). */
  readonly revision: number;
  readonly status: DeviceView['status'];
  readonly kind: DeviceView['kind'];
  readonly lorawanClass: DeviceView['lorawanClass'];
  readonly devEui: string | null;
  readonly region: string | null;
  readonly model: string | null;
  readonly firmwareVersion: string | null;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly maxInFlight: number;
  readonly dataRate: number | null;
}

/** A device event as relayed on Kafka, reduced to what the dispatcher reads. */
export interface DeviceEventFact {
  readonly deviceId: string;
  readonly revision: number;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A device talked at `at`: sleepy devices listen for a moment after each uplink. */
export interface WakeUp {
  readonly deviceId: string;
  readonly at: string;
  readonly batteryPercent: number | null;
  readonly firmwareUpdateState: number | null;
}

/** Devices may declare that they take several commands at once (attribute `maxInFlightCommands`, 1–16). */
export function maxInFlightOf(attributes: Readonly<Record<string, string>>): number {
  const declared = Number(attributes['maxInFlightCommands']);
  return Number.isInteger(declared) && declared >= 1 && declared <= 16 ? declared : 1;
}

interface ProvisionedData {
  deviceId: string;
  model?: string;
  firmwareVersion?: string | null;
  deviceClass?: {
    kind?: DeviceView['kind'];
    lorawanClass?: DeviceView['lorawanClass'];
    devEui?: string | null;
  };
  region?: string | null;
  tags?: string[];
  attributes?: Record<string, string>;
}

/**
 * Folds one device event onto what the dispatcher knew (undefined before DeviceProvisioned). Events
 * at or below the known revision are redeliveries and change nothing; unknown types only move the
 * revision on.
 */
export function applyDeviceEvent(
  known: DeviceFacts | undefined,
  event: DeviceEventFact,
): DeviceFacts | undefined {
  if (known && event.revision <= known.revision) return known;
  if (event.type === 'DeviceProvisioned') {
    const d = event.data as unknown as ProvisionedData;
    const attributes = d.attributes ?? {};
    return {
      deviceId: event.deviceId,
      revision: event.revision,
      status: 'provisioned',
      kind: d.deviceClass?.kind ?? 'always-on',
      lorawanClass: d.deviceClass?.lorawanClass ?? null,
      devEui: d.deviceClass?.devEui ?? null,
      region: d.region ?? null,
      model: d.model ?? null,
      firmwareVersion: d.firmwareVersion ?? null,
      tags: d.tags ?? [],
      attributes,
      maxInFlight: maxInFlightOf(attributes),
      dataRate: null,
    };
  }
  if (!known) return undefined;
  const next = { ...known, revision: event.revision };
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
    case 'DeviceLabelsChanged': {
      const attributes = (event.data['attributes'] as Record<string, string> | undefined) ?? known.attributes;
      return {
        ...next,
        tags: (event.data['tags'] as string[] | undefined) ?? known.tags,
        attributes,
        maxInFlight: maxInFlightOf(attributes),
      };
    }
    case 'FirmwareVersionChanged':
      return {
        ...next,
        firmwareVersion: (event.data['firmwareVersion'] as string | undefined) ?? known.firmwareVersion,
      };
    case 'ConfigurationApplied': {
      const dataRate = (event.data['reported'] as Record<string, unknown> | undefined)?.['radio.dataRate'];
      return typeof dataRate === 'number' ? { ...next, dataRate } : next;
    }
    default:
      return next;
  }
}

/** LwM2M /5/0/3: the firmware update state a device reported in a reading. */
export const FIRMWARE_UPDATE_STATE_PATH = '/5/0/3';
