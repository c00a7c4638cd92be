/** Lifecycle status of a device, as device-twin's events set it. */
export type DeviceLifecycleStatus = 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned';
export type DeviceKind = 'always-on' | 'sleepy' | 'lorawan';
export type LorawanClass = 'A' | 'B' | 'C';

/**
 * What other services keep from device events (device-twin owns the devices; this is a copy):
 * command-dispatcher and fuota-orchestrator fold the same events the same way.
 */
export interface DeviceFacts {
  readonly deviceId: string;
  /** Revision of the last device event applied (0-based stream revision). */
  readonly revision: number;
  readonly status: DeviceLifecycleStatus;
  readonly kind: DeviceKind;
  readonly lorawanClass: LorawanClass | null;
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
    kind?: DeviceKind;
    lorawanClass?: LorawanClass | null;
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
