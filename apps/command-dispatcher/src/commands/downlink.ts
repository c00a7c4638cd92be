import {
  chirpstackDownlink,
  deviceTopic,
  encodeCommand,
  encodeLorawanCommand,
  loraAirtimeMs,
  lorawanPhyPayloadBytes,
  maxDownlinkPayloadBytes,
  ttsDownlink,
  LORAWAN_COMMAND_FPORT,
  type DeviceCommand,
} from '@fleet/device-protocol';
import type { Channel, CommandRequestedData } from './command-events';
import type { DeviceView, RadioCost } from './gates';

/** Where LoRaWAN downlinks go: the network server's MQTT integration and the device's application. */
export interface NetworkServerSettings {
  readonly networkServer: 'chirpstack' | 'tts';
  readonly applicationId: string;
  readonly ttsTenantId: string;
}

export interface Downlink {
  readonly channel: Channel;
  readonly topic: string;
  readonly payload: Buffer;
  readonly radio: RadioCost | null;
}

/** The `down/command` object a device over MQTT receives. */
export function mqttCommand(request: CommandRequestedData): DeviceCommand {
  const common = { id: request.commandId, path: request.path, expiresAt: request.expiresAt };
  switch (request.operation) {
    case 'write':
      return { ...common, op: 'write', value: request.value ?? '' };
    case 'execute':
      return { ...common, op: 'execute', ...(request.arguments !== null && { args: request.arguments }) };
    case 'observe':
      return { ...common, op: 'observe', ...(request.attributes && { attributes: request.attributes }) };
    case 'create':
      return { ...common, op: 'create', ...(request.instanceValues && { values: request.instanceValues }) };
    case 'read':
    case 'delete':
    case 'discover':
    case 'cancel-observe':
      return { ...common, op: request.operation };
  }
}

/** The 16-bit tag a LoRaWAN command frame carries instead of the command id (its first 4 hex digits). */
export const lorawanTagOf = (commandId: string): number => Number.parseInt(commandId.slice(0, 4), 16);
export const lorawanTagPrefix = (tag: number): string => tag.toString(16).padStart(4, '0');

/** EU868-style data rates: DR0 SF12 … DR5 SF7 at 125 kHz, DR6 SF7 at 250 kHz. */
function loraModulation(dataRate: number): { spreadingFactor: number; bandwidthHz: number } {
  if (dataRate === 6) return { spreadingFactor: 7, bandwidthHz: 250_000 };
  return { spreadingFactor: 12 - Math.min(Math.max(dataRate, 0), 5), bandwidthHz: 125_000 };
}

/**
 * The downlink that carries a command to its device: JSON on the device's `down/command` topic, or a
 * compact frame through the network server for LoRaWAN devices (with its size and air time, which
 * the gates check). A device whose data rate is unknown is assumed at DR0, the most constrained.
 */
export function buildDownlink(
  request: CommandRequestedData,
  device: DeviceView,
  ns: NetworkServerSettings,
): Downlink {
  if (device.kind !== 'lorawan') {
    return {
      channel: 'mqtt',
      topic: deviceTopic(device.deviceId, 'down', 'command'),
      payload: encodeCommand(mqttCommand(request)),
      radio: null,
    };
  }
  const frame = encodeLorawanCommand(lorawanTagOf(request.commandId), request);
  const region = device.region ?? 'EU868';
  const dataRate = device.dataRate ?? 0;
  const maxPayloadBytes = maxDownlinkPayloadBytes(region, dataRate);
  const radio: RadioCost = {
    payloadBytes: frame.length,
    maxPayloadBytes,
    dataRateLabel: `DR${dataRate} in ${region}`,
    airtimeMs: loraAirtimeMs({
      ...loraModulation(dataRate),
      payloadBytes: Math.min(255, lorawanPhyPayloadBytes(frame.length)),
      crc: false,
    }),
  };
  const applicationId = device.lorawanApplicationId ?? ns.applicationId;
  const devEui = (device.devEui ?? '').toLowerCase();
  // An oversize frame is never sent (the payload-size gate refuses it); build nothing for it.
  if (frame.length > maxPayloadBytes)
    return { channel: ns.networkServer, topic: '', payload: Buffer.alloc(0), radio };
  const message =
    ns.networkServer === 'chirpstack'
      ? chirpstackDownlink(applicationId, devEui, LORAWAN_COMMAND_FPORT, frame)
      : ttsDownlink(
          { applicationId, tenantId: ns.ttsTenantId, deviceId: device.deviceId },
          LORAWAN_COMMAND_FPORT,
          frame,
        );
  return { channel: ns.networkServer, topic: message.topic, payload: message.payload, radio };
}
