import { assertNever } from '@fleet/core';
import {
  applyChanges,
  type Configuration,
  type ConfigurationChanges,
  type ConfigValue,
  type Region,
} from './configuration';

/** How a device is reached; decides whether commands wait for it and which parameters apply. */
export interface DeviceClassInfo {
  /** `always-on`, `sleepy` (wakes every `wakeIntervalSeconds`) or `lorawan`. */
  readonly kind: 'always-on' | 'sleepy' | 'lorawan';
  readonly wakeIntervalSeconds: number | null;
  /** LoRaWAN device class A, B or C; LoRaWAN only. */
  readonly lorawanClass: 'A' | 'B' | 'C' | null;
  /** LoRaWAN DevEUI, 16 upper-case hex digits; LoRaWAN only. */
  readonly devEui: string | null;
}

/**
 * What the fleet keeps of a device's credential. Never the secret itself: a salted hash of a
 * generated secret, the fingerprint of an X.509 certificate, or a LoRaWAN AppKey encrypted with a
 * key-encryption key (whose id is kept so keys can be rotated).
 */
export interface DeviceCredential {
  readonly type: 'secret' | 'x509' | 'lorawan-appkey';
  readonly secretHash: string | null;
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly certificateFingerprint: string | null;
  readonly certificateNotAfter: string | null;
  /** AES-256-GCM ciphertext of the AppKey; stays in the event store, never published. */
  readonly appKeyCiphertext: string | null;
  readonly kekId: string | null;
}

/** Identity and descriptive facts of a device, as recorded when it was provisioned. */
export interface DeviceProvisionedData {
  readonly deviceId: string;
  readonly serial: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly hardwareRevision: string | null;
  readonly firmwareVersion: string | null;
  readonly deviceClass: DeviceClassInfo;
  /** Band plan of LPWA devices; null for devices without one. */
  readonly region: Region | null;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly credential: DeviceCredential;
}

type Event<TType extends string, TData> = { readonly type: TType; readonly data: TData };
type OfDevice<T = object> = { readonly deviceId: string } & T;

/** Facts about a device; type strings never change once published. Reasons travel in the metadata. */
export type DeviceEvent =
  | Event<'DeviceProvisioned', DeviceProvisionedData>
  | Event<'DeviceActivated', OfDevice>
  | Event<'DeviceSuspended', OfDevice>
  | Event<'DeviceResumed', OfDevice>
  | Event<'DeviceQuarantined', OfDevice>
  | Event<'DeviceCredentialsRotated', OfDevice<{ credential: DeviceCredential }>>
  | Event<'DeviceDecommissioned', OfDevice<{ serial: string }>>
  | Event<'DeviceReEnrolled', OfDevice<{ credential: DeviceCredential }>>
  | Event<
      'DeviceLabelsChanged',
      OfDevice<{ tags: readonly string[]; attributes: Readonly<Record<string, string>> }>
    >
  | Event<'DesiredConfigurationChanged', OfDevice<{ changes: ConfigurationChanges; jobId: string | null }>>
  | Event<'ConfigurationApplied', OfDevice<{ reported: ConfigurationChanges }>>
  | Event<'FirmwareVersionChanged', OfDevice<{ previousVersion: string | null; firmwareVersion: string }>>;

export type DeviceEventType = DeviceEvent['type'];

export type DeviceStatus = 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned';

export interface ProvisionedDevice {
  readonly status: DeviceStatus;
  readonly deviceId: string;
  readonly serial: string;
  readonly deviceClass: DeviceClassInfo;
  readonly region: Region | null;
  readonly firmwareVersion: string | null;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly credentialType: DeviceCredential['type'] | null;
  readonly desired: Configuration;
  readonly reported: Configuration;
  /** Number of events in the device's stream: the twin version. */
  readonly version: number;
}

export type DeviceState = { readonly status: 'unprovisioned'; readonly version: 0 } | ProvisionedDevice;

export const initialDeviceState: DeviceState = { status: 'unprovisioned', version: 0 };

const NO_CLASS: DeviceClassInfo = {
  kind: 'always-on',
  wakeIntervalSeconds: null,
  lorawanClass: null,
  devEui: null,
};
/** The credential of a device recorded before credentials existed, and the base of new ones. */
export const NO_CREDENTIAL: DeviceCredential = {
  type: 'secret',
  secretHash: null,
  certificateFingerprint: null,
  certificateNotAfter: null,
  appKeyCiphertext: null,
  kekId: null,
};

/**
 * Events keep the shape they were recorded with; fields added later (schema v2 of
 * DeviceProvisioned: class, region, credential) get their documented defaults here.
 */
export function upcastDeviceEvent(event: DeviceEvent): DeviceEvent {
  if (event.type !== 'DeviceProvisioned') return event;
  const data = event.data as Partial<DeviceProvisionedData> & Pick<DeviceProvisionedData, 'deviceId'>;
  if (data.credential && data.deviceClass && data.region !== undefined) return event;
  return {
    type: 'DeviceProvisioned',
    data: {
      ...event.data,
      deviceClass: data.deviceClass ?? NO_CLASS,
      region: data.region ?? null,
      credential: data.credential ?? NO_CREDENTIAL,
    },
  };
}

export function evolveDevice(state: DeviceState, recorded: DeviceEvent): DeviceState {
  const event = upcastDeviceEvent(recorded);
  if (event.type === 'DeviceProvisioned') {
    const d = event.data;
    return {
      status: 'provisioned',
      deviceId: d.deviceId,
      serial: d.serial,
      deviceClass: d.deviceClass,
      region: d.region,
      firmwareVersion: d.firmwareVersion,
      tags: d.tags,
      attributes: d.attributes,
      credentialType: d.credential.type,
      desired: {},
      reported: {},
      version: state.version + 1,
    };
  }
  if (state.status === 'unprovisioned') return state;
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'DeviceActivated':
    case 'DeviceResumed':
      return { ...next, status: 'active' };
    case 'DeviceSuspended':
      return { ...next, status: 'suspended' };
    case 'DeviceQuarantined':
      return { ...next, status: 'quarantined' };
    case 'DeviceCredentialsRotated':
      return { ...next, credentialType: event.data.credential.type };
    case 'DeviceDecommissioned':
      return { ...next, status: 'decommissioned', credentialType: null };
    case 'DeviceReEnrolled':
      return { ...next, status: 'provisioned', credentialType: event.data.credential.type };
    case 'DeviceLabelsChanged':
      return { ...next, tags: event.data.tags, attributes: event.data.attributes };
    case 'DesiredConfigurationChanged':
      return { ...next, desired: applyChanges(state.desired, event.data.changes) };
    case 'ConfigurationApplied':
      return { ...next, reported: applyChanges(state.reported, event.data.reported) };
    case 'FirmwareVersionChanged':
      return { ...next, firmwareVersion: event.data.firmwareVersion };
    default:
      return assertNever(event);
  }
}

export const deviceStream = (deviceId: string): string => `device-${deviceId}`;

export const isLorawan = (device: Pick<ProvisionedDevice, 'deviceClass'>): boolean =>
  device.deviceClass.kind === 'lorawan';

export type { ConfigValue };
