import { z } from 'zod';
import { rejected } from '../errors';
import { parseChirpstackUplinkTopic } from '../topics';
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

/** ChirpStack v4 `integration.UplinkEvent` in its JSON form (fields Fleetwise reads). */
const uplinkEventSchema = z.object({
  deduplicationId: z.string().min(1).max(128),
  time: timestampSchema,
  deviceInfo: z.object({
    tenantId: z.string().min(1),
    applicationId: z.string().min(1),
    devEui: devEuiSchema,
    deviceProfileName: z.string().optional(),
    deviceName: z.string().optional(),
  }),
  devAddr: z
    .string()
    .regex(/^[0-9A-Fa-f]{8}$/, 'must be 8 hexadecimal digits')
    .optional(),
  dr: z.number().int().min(0).max(15).default(0),
  fCnt: frameCounterSchema,
  fPort: fPortSchema,
  data: base64Schema.default(Buffer.alloc(0)),
  object: z.unknown().optional(),
  rxInfo: z
    .array(z.object({ gatewayId: z.string(), rssi: rssiSchema.optional(), snr: snrSchema.optional() }))
    .default([]),
  txInfo: z
    .object({
      frequency: z.number().int().positive().optional(),
      modulation: z
        .object({
          lora: z
            .object({
              bandwidth: z.number().int().positive(),
              spreadingFactor: z.number().int().min(6).max(12),
              codeRate: z.string().optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/**
 * Parses a ChirpStack v4 uplink event (`application/{applicationId}/device/{devEui}/event/up`).
 * Air time is computed from the LoRa settings and the FRMPayload size, assuming no FOpts (they are
 * not reported), so it may be short by the few bytes of piggy-backed MAC commands.
 * @throws UplinkRejectedError `malformed` naming the fields at fault
 */
export function parseChirpstackUplink(topic: string, payload: Uint8Array): NetworkServerUplink {
  const address = parseChirpstackUplinkTopic(topic);
  if (!address) throw rejected('malformed', `not a ChirpStack uplink topic: ${topic.slice(0, 200)}`);
  const event = parseNetworkServerMessage('chirpstack', payload, uplinkEventSchema);
  checkTopicMatches('chirpstack', 'devEui', address.devEui, event.deviceInfo.devEui);
  checkTopicMatches('chirpstack', 'applicationId', address.applicationId, event.deviceInfo.applicationId);
  const lora = event.txInfo?.modulation?.lora;
  const airtimeMs =
    lora &&
    loraAirtimeMs({
      spreadingFactor: lora.spreadingFactor,
      bandwidthHz: lora.bandwidth,
      codingRate: codingRateOf(lora.codeRate),
      payloadBytes: lorawanPhyPayloadBytes(event.data.length, event.fPort !== 0 || event.data.length > 0),
    });
  return {
    network: 'chirpstack',
    devEui: event.deviceInfo.devEui,
    applicationId: event.deviceInfo.applicationId,
    fPort: event.fPort,
    frmPayload: event.data,
    ...(event.object === undefined ? {} : { decodedObject: event.object }),
    ...bestGateway(event.rxInfo),
    frameCounter: event.fCnt,
    dataRate: lora ? loraDataRateName(lora.spreadingFactor, lora.bandwidth) : `DR${event.dr}`,
    airtimeMs: airtimeMs ?? null,
    messageId: event.deduplicationId,
    receivedAt: event.time,
  };
}
