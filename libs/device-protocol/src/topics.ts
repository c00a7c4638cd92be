import { ValidationError } from '@fleet/core';

/**
 * MQTT topics of the device protocol (docs/device-protocol.md, "Topics"): devices talk under
 * `fleet/v1/devices/{deviceId}/`, LoRaWAN network servers under their own integration topics.
 */
export const DEVICE_TOPIC_PREFIX = 'fleet/v1/devices';

export const UPLINK_KINDS = ['telemetry', 'state', 'ack', 'fuota'] as const;
export const DOWNLINK_KINDS = ['command', 'config'] as const;
export type UplinkKind = (typeof UPLINK_KINDS)[number];
export type DownlinkKind = (typeof DOWNLINK_KINDS)[number];
export type Direction = 'up' | 'down';
export type KindOf<D extends Direction> = D extends 'up' ? UplinkKind : DownlinkKind;

export type DeviceTopic =
  | { readonly deviceId: string; readonly direction: 'up'; readonly kind: UplinkKind }
  | { readonly deviceId: string; readonly direction: 'down'; readonly kind: DownlinkKind };

/** Every device uplink; ingestion subscribes to it through a shared subscription. */
export const DEVICE_UPLINK_FILTER = `${DEVICE_TOPIC_PREFIX}/+/up/+`;
export const INGESTION_SHARE_GROUP = 'ingestion';
/** Replicas of ingestion in one share group each get a part of the uplinks, never the same one. */
export const INGESTION_SHARED_SUBSCRIPTION = sharedSubscription(INGESTION_SHARE_GROUP, DEVICE_UPLINK_FILTER);

/**
 * Device ids become MQTT usernames, client ids and topic levels, so they must not contain topic
 * separators or wildcards (`/`, `+`, `#`), nor start with `$` (reserved by brokers).
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidDeviceId(deviceId: string): boolean {
  return DEVICE_ID_PATTERN.test(deviceId);
}

export function deviceTopic<D extends Direction>(deviceId: string, direction: D, kind: KindOf<D>): string {
  assertDeviceId(deviceId);
  const kinds: readonly string[] = direction === 'up' ? UPLINK_KINDS : DOWNLINK_KINDS;
  if (!kinds.includes(kind)) throw new ValidationError(`${direction}/${kind} is not a device topic`);
  return `${DEVICE_TOPIC_PREFIX}/${deviceId}/${direction}/${kind}`;
}

/** The parts of a device topic, or undefined when the topic is not one of the protocol's. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const prefix = `${DEVICE_TOPIC_PREFIX}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const [deviceId, direction, kind, ...rest] = topic.slice(prefix.length).split('/');
  if (deviceId === undefined || kind === undefined || rest.length > 0 || !isValidDeviceId(deviceId)) {
    return undefined;
  }
  if (direction === 'up' && isOneOf(UPLINK_KINDS, kind)) return { deviceId, direction, kind };
  if (direction === 'down' && isOneOf(DOWNLINK_KINDS, kind)) return { deviceId, direction, kind };
  return undefined;
}

/**
 * The broker ACL of one device: it may publish only its own uplinks and receive only its own
 * downlinks (docs: "Connecting").
 */
export function deviceAclTopicFilters(deviceId: string): { publish: string; subscribe: string } {
  assertDeviceId(deviceId);
  return {
    publish: `${DEVICE_TOPIC_PREFIX}/${deviceId}/up/#`,
    subscribe: `${DEVICE_TOPIC_PREFIX}/${deviceId}/down/#`,
  };
}

/** `$share/{group}/{filter}` (MQTT 5 shared subscription; Mosquitto accepts it from 3.1.1 clients too). */
export function sharedSubscription(group: string, filter: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(group)) throw new ValidationError(`invalid share group ${group}`);
  return `$share/${group}/${filter}`;
}

function assertDeviceId(deviceId: string): void {
  if (!isValidDeviceId(deviceId)) {
    throw new ValidationError(`device id must be 1-128 characters of A-Z a-z 0-9 . _ : -`, { deviceId });
  }
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** ChirpStack v4 MQTT integration, default `event_topic` template; ids are UUIDs, DevEUIs lower-case. */
export const CHIRPSTACK_UPLINK_FILTER = 'application/+/device/+/event/up';
/** ChirpStack v4 log events of a device (errors and warnings about its frames, joins, codecs). */
export const CHIRPSTACK_LOG_FILTER = 'application/+/device/+/event/log';
/** The Things Stack v3 MQTT server; `{applicationId}@{tenantId}` except on open-source deployments. */
export const TTS_UPLINK_FILTER = 'v3/+/devices/+/up';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEV_EUI = /^[0-9a-f]{16}$/;
/** The Things Stack identifier rule: 3-36 lower-case letters, digits and single dashes. */
const TTS_ID = /^(?=.{3,36}$)[a-z0-9](?:-?[a-z0-9])+$/;

export interface ChirpstackDeviceAddress {
  readonly applicationId: string;
  readonly devEui: string;
}

export interface TtsDeviceAddress {
  readonly applicationId: string;
  /** Null on The Things Stack Open Source, whose topics carry no tenant. */
  readonly tenantId: string | null;
  readonly deviceId: string;
}

export function parseChirpstackUplinkTopic(topic: string): ChirpstackDeviceAddress | undefined {
  return parseChirpstackEventTopic(topic, 'up');
}

export function parseChirpstackLogTopic(topic: string): ChirpstackDeviceAddress | undefined {
  return parseChirpstackEventTopic(topic, 'log');
}

function parseChirpstackEventTopic(topic: string, event: 'up' | 'log'): ChirpstackDeviceAddress | undefined {
  const match = /^application\/([^/]+)\/device\/([^/]+)\/event\/([a-z]+)$/.exec(topic);
  const [, applicationId, devEui, kind] = match ?? [];
  if (applicationId === undefined || devEui === undefined || kind !== event) return undefined;
  return UUID.test(applicationId) && DEV_EUI.test(devEui) ? { applicationId, devEui } : undefined;
}

export function chirpstackUplinkTopic({ applicationId, devEui }: ChirpstackDeviceAddress): string {
  return `application/${applicationId}/device/${devEui}/event/up`;
}

export function chirpstackDownlinkTopic({ applicationId, devEui }: ChirpstackDeviceAddress): string {
  if (!UUID.test(applicationId))
    throw new ValidationError(`ChirpStack application id ${applicationId} is not a UUID`);
  if (!DEV_EUI.test(devEui)) throw new ValidationError(`DevEUI ${devEui} is not 16 lower-case hex digits`);
  return `application/${applicationId}/device/${devEui}/command/down`;
}

export function parseTtsUplinkTopic(topic: string): TtsDeviceAddress | undefined {
  const [, application, deviceId] = /^v3\/([^/]+)\/devices\/([^/]+)\/up$/.exec(topic) ?? [];
  if (application === undefined || deviceId === undefined) return undefined;
  const [applicationId = '', tenantId = null, ...extra] = application.split('@');
  const valid =
    extra.length === 0 &&
    TTS_ID.test(applicationId) &&
    TTS_ID.test(deviceId) &&
    (tenantId === null || TTS_ID.test(tenantId));
  return valid ? { applicationId, tenantId, deviceId } : undefined;
}

export function ttsUplinkTopic({ applicationId, tenantId, deviceId }: TtsDeviceAddress): string {
  return `v3/${tenantId === null ? applicationId : `${applicationId}@${tenantId}`}/devices/${deviceId}/up`;
}

/** `push` appends to the device's downlink queue, `replace` replaces the queue. */
export function ttsDownlinkTopic(address: TtsDeviceAddress, operation: 'push' | 'replace' = 'push'): string {
  const { applicationId, tenantId, deviceId } = address;
  for (const id of [applicationId, deviceId, ...(tenantId === null ? [] : [tenantId])]) {
    if (!TTS_ID.test(id)) throw new ValidationError(`${id} is not a The Things Stack identifier`);
  }
  const application = tenantId === null ? applicationId : `${applicationId}@${tenantId}`;
  return `v3/${application}/devices/${deviceId}/down/${operation}`;
}
