import { ValidationError } from '@fleet/core';
import { z } from 'zod';
import { chirpstackDownlinkTopic, ttsDownlinkTopic, type TtsDeviceAddress } from '../topics';
import { rejected } from '../errors';
import { parsePayload } from '../payload';
import { zodReason } from '../zod-reason';
import { base64Schema, devEuiSchema, MAX_FRM_PAYLOAD_BYTES } from './network-server-uplink';

/** A downlink for ChirpStack's MQTT integration to enqueue. */
export function chirpstackDownlink(
  applicationId: string,
  devEui: string,
  fPort: number,
  bytes: Uint8Array,
  options: { confirmed?: boolean } = {},
): { topic: string; payload: Buffer } {
  checkDownlink(fPort, bytes);
  const topic = chirpstackDownlinkTopic({ applicationId, devEui });
  const body = {
    devEui,
    confirmed: options.confirmed ?? false,
    fPort,
    data: Buffer.from(bytes).toString('base64'),
  };
  return { topic, payload: Buffer.from(JSON.stringify(body)) };
}

const chirpstackDownlinkSchema = z.object({
  devEui: devEuiSchema,
  confirmed: z.boolean().default(false),
  fPort: z.number().int().min(1).max(223),
  data: base64Schema.default(Buffer.alloc(0)),
});
export type ChirpstackDownlink = z.infer<typeof chirpstackDownlinkSchema>;

/**
 * The network-server side of {@link chirpstackDownlink} (the simulator plays ChirpStack).
 * @throws UplinkRejectedError `malformed`
 */
export function parseChirpstackDownlink(payload: Uint8Array): ChirpstackDownlink {
  const parsed = chirpstackDownlinkSchema.safeParse(parsePayload(payload, 'application/json').data);
  if (!parsed.success) throw rejected('malformed', `invalid chirpstack downlink: ${zodReason(parsed.error)}`);
  return parsed.data;
}

export type TtsPriority = 'LOWEST' | 'LOW' | 'BELOW_NORMAL' | 'NORMAL' | 'ABOVE_NORMAL' | 'HIGH' | 'HIGHEST';

/** A downlink for The Things Stack's MQTT server; `push` appends to the queue, `replace` replaces it. */
export function ttsDownlink(
  address: TtsDeviceAddress,
  fPort: number,
  bytes: Uint8Array,
  options: { confirmed?: boolean; priority?: TtsPriority; operation?: 'push' | 'replace' } = {},
): { topic: string; payload: Buffer } {
  checkDownlink(fPort, bytes);
  const downlink = {
    f_port: fPort,
    frm_payload: Buffer.from(bytes).toString('base64'),
    priority: options.priority ?? 'NORMAL',
    confirmed: options.confirmed ?? false,
  };
  return {
    topic: ttsDownlinkTopic(address, options.operation ?? 'push'),
    payload: Buffer.from(JSON.stringify({ downlinks: [downlink] })),
  };
}

/** Application ports are 1-223 (0 is MAC commands, 224 the test port); 242 bytes fit every region's top data rate. */
function checkDownlink(fPort: number, bytes: Uint8Array): void {
  if (!(Number.isInteger(fPort) && fPort >= 1 && fPort <= 223))
    throw new ValidationError(`fPort ${fPort} is not 1-223`);
  if (bytes.length > MAX_FRM_PAYLOAD_BYTES) {
    throw new ValidationError(`downlink of ${bytes.length} bytes exceeds ${MAX_FRM_PAYLOAD_BYTES}`);
  }
}
