import { ValidationError } from '@fleet/core';
import { chirpstackDownlinkTopic, ttsDownlinkTopic, type TtsDeviceAddress } from '../topics';
import { MAX_FRM_PAYLOAD_BYTES } from './network-server-uplink';

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
