import {
  checkResourceValue,
  decodeCommandResponse,
  decodeLorawanAnswer,
  decodeNetworkServerUplink,
  decodeSenml,
  linkQualityOf,
  LORAWAN_ANSWER_FPORT,
  lorawanAnswerResponse,
  parseChirpstackLogEvent,
  parseChirpstackLogTopic,
  parseChirpstackUplink,
  parseDeviceTopic,
  parseTtsUplink,
  rejected,
  toDeviceTelemetry,
  UplinkRejectedError,
  type CommandResponse,
  type DeviceTelemetry,
  type NetworkServerUplink,
  type ResolvedRecord,
} from '@fleet/device-protocol';
import {
  refusalFromChirpstackLog,
  type AuthenticationRefusal,
} from '../device-access/authentication-refusals';
import { refusalOf, type DeviceAccess, type Refusal } from '../device-access/device-access';

export interface RawUplink {
  readonly topic: string;
  readonly payload: Buffer;
  readonly contentType: string | undefined;
  readonly receivedAt: number;
}

/** What to do with one MQTT message. */
export type UplinkOutcome =
  | { readonly kind: 'telemetry'; readonly deviceId: string; readonly telemetry: DeviceTelemetry }
  | {
      readonly kind: 'command-response';
      readonly deviceId: string;
      readonly receivedAt: number;
      readonly messageId: string;
      readonly response: CommandResponse;
      /**
       * Also published as telemetry: an observe notification's values (they are measurements
       * like any other), and a LoRaWAN answer uplink's link quality. Null for plain answers.
       */
      readonly telemetry: DeviceTelemetry | null;
    }
  | { readonly kind: 'refused'; readonly refusal: Refusal; readonly deviceId: string }
  /** A network server reports that a frame or join failed to authenticate as a device. */
  | { readonly kind: 'authentication-refused'; readonly refusal: AuthenticationRefusal }
  /** A network server's log event about anything else (codec errors, frame counters...): counted. */
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'dead-letter';
      readonly error: UplinkRejectedError;
      readonly deviceId: string | null;
      readonly source: string;
    };

export interface UplinkDirectory {
  find(deviceId: string): DeviceAccess | undefined;
  findByDevEui(devEui: string): DeviceAccess | undefined;
}

/**
 * Decides what becomes of an uplink: a telemetry record, a command response, a refusal (device not
 * allowed to talk: counted, dropped) or a dead letter (the bytes are bad: kept with the reason).
 * Never throws: anything unexpected is a dead letter too, so no message can stop the pipeline.
 */
export function routeUplink(raw: RawUplink, directory: UplinkDirectory, newId: () => string): UplinkOutcome {
  let deviceId: string | null = null;
  let source = 'mqtt';
  try {
    const device = parseDeviceTopic(raw.topic);
    if (device?.direction === 'up') {
      deviceId = device.deviceId;
      const refusal = refusalOf(directory.find(device.deviceId));
      if (refusal) return { kind: 'refused', refusal, deviceId: device.deviceId };
      const options = { now: raw.receivedAt, contentType: raw.contentType };
      if (device.kind === 'ack') {
        const response = decodeCommandResponse(raw.payload, options);
        const messageId = newId();
        const context = { deviceId: device.deviceId, receivedAt: raw.receivedAt, source: 'mqtt' as const };
        return {
          kind: 'command-response',
          ...context,
          messageId,
          response,
          telemetry: notificationTelemetry(response, { ...context, messageId: `${messageId}:notification` }),
        };
      }
      const telemetry = toDeviceTelemetry(decodeSenml(raw.payload, options), {
        deviceId: device.deviceId,
        messageId: newId(),
        receivedAt: raw.receivedAt,
        source: 'mqtt',
      });
      return { kind: 'telemetry', deviceId: device.deviceId, telemetry };
    }
    const network = networkServerOf(raw.topic);
    if (!network) throw rejected('malformed', `not an uplink topic: ${raw.topic.slice(0, 200)}`);
    source = network;
    if (network === 'chirpstack' && parseChirpstackLogTopic(raw.topic)) {
      const log = parseChirpstackLogEvent(raw.topic, raw.payload);
      const refusal = refusalFromChirpstackLog(log, (eui) => directory.findByDevEui(eui), {
        receivedAt: raw.receivedAt,
        newId,
      });
      return refusal
        ? { kind: 'authentication-refused', refusal }
        : { kind: 'ignored', reason: 'chirpstack-log-not-authentication' };
    }
    const uplink: NetworkServerUplink =
      network === 'chirpstack'
        ? parseChirpstackUplink(raw.topic, raw.payload)
        : parseTtsUplink(raw.topic, raw.payload);
    const access = directory.findByDevEui(uplink.devEui);
    const refusal = refusalOf(access);
    if (refusal || !access) {
      return { kind: 'refused', refusal: refusal ?? 'unknown-device', deviceId: `deveui:${uplink.devEui}` };
    }
    deviceId = access.deviceId;
    if (uplink.fPort === LORAWAN_ANSWER_FPORT) return lorawanAnswer(uplink, access.deviceId, network);
    const telemetry = toDeviceTelemetry(decodeNetworkServerUplink(uplink, access.model), {
      deviceId: access.deviceId,
      messageId: uplink.messageId,
      receivedAt: uplink.receivedAt,
      source: network,
      link: linkQualityOf(uplink),
    });
    return { kind: 'telemetry', deviceId: access.deviceId, telemetry };
  } catch (error) {
    return { kind: 'dead-letter', error: asRejection(error), deviceId, source };
  }
}

/**
 * An observe notification's values as telemetry, through the same mapping as `up/telemetry` (so
 * battery, RSSI and firmware fill their fields). A notification may carry resources the registry
 * does not know (an observed object returns all of its resources): those stay in the command
 * response only. Null for anything but a notification, or one with nothing the registry knows.
 */
function notificationTelemetry(
  response: CommandResponse,
  context: Parameters<typeof toDeviceTelemetry>[1],
): DeviceTelemetry | null {
  if (response.observation === null || response.status !== 'succeeded') return null;
  const values = registryValues(response.values);
  return values.length === 0 ? null : toDeviceTelemetry(values, context);
}

function registryValues(records: readonly ResolvedRecord[]): ResolvedRecord[] {
  return records.filter((record) => {
    try {
      checkResourceValue(record.path, record.value, record.unit);
      return true;
    } catch (error) {
      if (error instanceof UplinkRejectedError) return false;
      throw error;
    }
  });
}

/**
 * A LoRaWAN answer frame: the command response (`lorawan-tag:<tag>`, the network server's
 * message id), and a telemetry record for the uplink itself (link quality, frame counter; a
 * notification's values too), as every uplink of a LoRaWAN device counts as telemetry.
 */
function lorawanAnswer(
  uplink: NetworkServerUplink,
  deviceId: string,
  network: 'chirpstack' | 'tts',
): UplinkOutcome {
  const answer = decodeLorawanAnswer(uplink.frmPayload);
  const response = lorawanAnswerResponse(answer);
  const values = answer.notification ? registryValues(response.values) : [];
  const telemetry = toDeviceTelemetry(values, {
    deviceId,
    messageId: uplink.messageId,
    receivedAt: uplink.receivedAt,
    source: network,
    link: linkQualityOf(uplink),
  });
  return {
    kind: 'command-response',
    deviceId,
    receivedAt: uplink.receivedAt,
    messageId: uplink.messageId,
    response,
    telemetry,
  };
}

/** By prefix only: the parsers then say precisely what is wrong with the rest of the topic. */
function networkServerOf(topic: string): 'chirpstack' | 'tts' | undefined {
  if (topic.startsWith('application/')) return 'chirpstack';
  if (topic.startsWith('v3/')) return 'tts';
  return undefined;
}

/** A bug in a decoder must not stop the pipeline either: the message is kept as a dead letter. */
function asRejection(error: unknown): UplinkRejectedError {
  if (error instanceof UplinkRejectedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new UplinkRejectedError('malformed', `could not be processed: ${message}`);
}
