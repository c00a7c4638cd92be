import { z } from 'zod';
import { rejected } from '../errors';
import { parsePayload } from '../payload';
import type { LinkQuality } from '../telemetry';
import { zodReason } from '../zod-reason';

export type NetworkServer = 'chirpstack' | 'tts';

/** An uplink as either network server reports it, reduced to what ingestion needs. */
export interface NetworkServerUplink {
  readonly network: NetworkServer;
  /** Lower-case, 16 hex digits: how Fleetwise finds the device (from provisioning). */
  readonly devEui: string;
  readonly applicationId: string;
  /** The network server's own device id (The Things Stack addresses downlinks by it). */
  readonly nsDeviceId?: string;
  /** The Things Stack tenant (null on Open Source); undefined for ChirpStack. */
  readonly tenantId?: string | null;
  /** 1-223 for application data; 0 when the frame carried none (MAC commands only, or empty). */
  readonly fPort: number;
  readonly frmPayload: Buffer;
  /** What the network server's own payload decoder produced, if one is configured. */
  readonly decodedObject?: unknown;
  /** Best gateway by RSSI; null when no gateway reported one. */
  readonly rssi: number | null;
  /** SNR at the best gateway. */
  readonly snr: number | null;
  readonly frameCounter: number;
  /** `SF7BW125` for LoRa; `DR{n}` for other modulations when the index is known. */
  readonly dataRate: string | null;
  readonly airtimeMs: number | null;
  readonly messageId: string;
  /** Epoch milliseconds at which the network server received the uplink. */
  readonly receivedAt: number;
}

/** Network server messages carry gateway metadata, so they may be larger than device uplinks. */
export const MAX_NETWORK_SERVER_MESSAGE_BYTES = 64 * 1024;
/** Largest FRMPayload of any LoRaWAN region and data rate (RP002: N = 242). */
export const MAX_FRM_PAYLOAD_BYTES = 242;

export const devEuiSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{16}$/, 'must be 16 hexadecimal digits')
  .transform((eui) => eui.toLowerCase());
export const base64Schema = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64')
  .transform((text) => Buffer.from(text, 'base64'))
  .refine(
    (bytes) => bytes.length <= MAX_FRM_PAYLOAD_BYTES,
    `must decode to at most ${MAX_FRM_PAYLOAD_BYTES} bytes`,
  );
export const timestampSchema = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
// Protobuf JSON (both servers) omits fields whose value is 0, so absent counters and ports are 0.
export const fPortSchema = z.number().int().min(0).max(255).default(0);
export const frameCounterSchema = z.number().int().min(0).max(0xffff_ffff).default(0);
export const rssiSchema = z.number().min(-200).max(50);
export const snrSchema = z.number().min(-50).max(50);

/**
 * Parses a network server message as JSON against `schema`.
 * @throws UplinkRejectedError `malformed` (or `too-large`) with the fields at fault
 */
export function parseNetworkServerMessage<T>(
  network: NetworkServer,
  payload: Uint8Array,
  schema: z.ZodType<T>,
): T {
  const { data } = parsePayload(payload, 'application/json', MAX_NETWORK_SERVER_MESSAGE_BYTES);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw rejected('malformed', `invalid ${network} uplink: ${zodReason(parsed.error)}`);
  return parsed.data;
}

/**
 * RSSI and SNR of the gateway that heard the uplink best: highest RSSI, ties to the higher SNR. An
 * absent SNR is 0 dB (omitted as a zero value); a gateway without RSSI cannot be ranked.
 */
export function bestGateway(gateways: readonly { rssi?: number; snr?: number }[]): {
  rssi: number | null;
  snr: number | null;
} {
  let best: { rssi: number; snr: number } | undefined;
  for (const { rssi, snr = 0 } of gateways) {
    if (rssi === undefined) continue;
    if (!best || rssi > best.rssi || (rssi === best.rssi && snr > best.snr)) best = { rssi, snr };
  }
  return best ?? { rssi: null, snr: null };
}

/** `SF7BW125`, the name LoRaWAN regional parameters and both servers' consoles use. */
export function loraDataRateName(spreadingFactor: number, bandwidthHz: number): string {
  return `SF${spreadingFactor}BW${bandwidthHz / 1000}`;
}

export function linkQualityOf(uplink: NetworkServerUplink): LinkQuality {
  const { rssi, snr, frameCounter, dataRate, airtimeMs } = uplink;
  return { rssi, snr, frameCounter, dataRate, airtimeMs };
}

export function checkTopicMatches(
  network: NetworkServer,
  what: string,
  inTopic: string,
  inMessage: string,
): void {
  if (inTopic !== inMessage) {
    throw rejected(
      'malformed',
      `${network} uplink: topic has ${what} ${inTopic} but the message ${inMessage}`,
    );
  }
}
