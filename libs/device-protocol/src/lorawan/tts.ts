import { z } from 'zod';
import { rejected } from '../errors';
import { parseTtsUplinkTopic } from '../topics';
import { codingRateOf, loraAirtimeMs, lorawanPhyPayloadBytes } from './airtime';
import {
  base64Schema,
  bestGateway,
  checkTopicMatches,
  devEuiSchema,
  fPortSchema,
  frameCounterSchema,
  loraDataRateName,
  parseNetworkServerMessage,
  rssiSchema,
  snrSchema,
  timestampSchema,
  type NetworkServerUplink,
} from './network-server-uplink';

/** `0.061696s`: a protobuf Duration in JSON. */
const durationMsSchema = z
  .string()
  .regex(/^\d{1,5}(\.\d{1,9})?s$/, 'must be a duration such as 0.061696s')
  .transform((text) => Number(text.slice(0, -1)) * 1000);

/** The Things Stack v3 `ApplicationUp` carrying an `uplink_message` (fields Fleetwise reads). */
const applicationUpSchema = z.object({
  end_device_ids: z.object({
    device_id: z.string().min(1),
    application_ids: z.object({ application_id: z.string().min(1) }),
    dev_eui: devEuiSchema.optional(),
  }),
  correlation_ids: z.array(z.string()).default([]),
  received_at: timestampSchema,
  uplink_message: z.object({
    f_port: fPortSchema,
    f_cnt: frameCounterSchema,
    frm_payload: base64Schema.default(Buffer.alloc(0)),
    decoded_payload: z.unknown().optional(),
    rx_metadata: z
      .array(
        z.object({
          rssi: rssiSchema.optional(),
          channel_rssi: rssiSchema.optional(),
          snr: snrSchema.optional(),
        }),
      )
      .default([]),
    settings: z
      .object({
        data_rate: z.object({
          lora: z
            .object({
              bandwidth: z.number().int().positive(),
              spreading_factor: z.number().int().min(6).max(12),
              coding_rate: z.string().optional(),
            })
            .optional(),
        }),
        // Older releases put the coding rate beside data_rate.
        coding_rate: z.string().optional(),
      })
      .optional(),
    received_at: timestampSchema.optional(),
    consumed_airtime: durationMsSchema.optional(),
  }),
});

/**
 * Parses a The Things Stack v3 uplink (`v3/{applicationId}[@{tenantId}]/devices/{deviceId}/up`).
 * The message id is the Application Server's `as:up:` correlation id, which a redelivery keeps;
 * without one, DevEUI and reception time stand in.
 * @throws UplinkRejectedError `malformed` naming the fields at fault
 */
export function parseTtsUplink(topic: string, payload: Uint8Array): NetworkServerUplink {
  const address = parseTtsUplinkTopic(topic);
  if (!address) throw rejected('malformed', `not a The Things Stack uplink topic: ${topic.slice(0, 200)}`);
  const up = parseNetworkServerMessage('tts', payload, applicationUpSchema);
  const ids = up.end_device_ids;
  checkTopicMatches('tts', 'device id', address.deviceId, ids.device_id);
  checkTopicMatches('tts', 'application id', address.applicationId, ids.application_ids.application_id);
  if (ids.dev_eui === undefined) {
    throw rejected(
      'malformed',
      'invalid tts uplink: end_device_ids.dev_eui is missing (device registered without DevEUI)',
    );
  }
  const message = up.uplink_message;
  const lora = message.settings?.data_rate.lora;
  const airtimeMs =
    message.consumed_airtime ??
    (lora &&
      loraAirtimeMs({
        spreadingFactor: lora.spreading_factor,
        bandwidthHz: lora.bandwidth,
        codingRate: codingRateOf(lora.coding_rate ?? message.settings?.coding_rate),
        payloadBytes: lorawanPhyPayloadBytes(message.frm_payload.length, message.f_port !== 0),
      }));
  const receivedAt = message.received_at ?? up.received_at;
  return {
    network: 'tts',
    devEui: ids.dev_eui,
    applicationId: address.applicationId,
    nsDeviceId: address.deviceId,
    tenantId: address.tenantId,
    fPort: message.f_port,
    frmPayload: message.frm_payload,
    ...(message.decoded_payload === undefined ? {} : { decodedObject: message.decoded_payload }),
    ...bestGateway(
      message.rx_metadata.map(({ rssi, channel_rssi, snr }) => ({ rssi: rssi ?? channel_rssi, snr })),
    ),
    frameCounter: message.f_cnt,
    dataRate: lora ? loraDataRateName(lora.spreading_factor, lora.bandwidth) : null,
    airtimeMs: airtimeMs ?? null,
    messageId: up.correlation_ids.find((id) => id.startsWith('as:up:')) ?? `tts:${ids.dev_eui}:${receivedAt}`,
    receivedAt,
  };
}
