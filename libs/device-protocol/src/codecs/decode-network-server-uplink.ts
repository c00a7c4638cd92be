import type { NetworkServerUplink } from '../lorawan/network-server-uplink';
import { isPlainObject } from '../payload';
import { resolveSenmlPack, type ResolvedRecord } from '../senml';
import { codecForModel } from './codec-registry';

/** FPorts of the LoRa Alliance packages: TS005 multicast setup, TS004 fragmentation, TS003 clock sync. */
export const APPLICATION_LAYER_PACKAGE_PORTS: ReadonlySet<number> = new Set([200, 201, 202]);

/**
 * The records of a LoRaWAN uplink:
 * 1. the network server's own decoded object, when it is a SenML pack: a top-level array, or the
 *    array under `senml` (ChirpStack `object` and TTS `decoded_payload` must be JSON objects, so a
 *    payload formatter can only return a pack wrapped like that). The operator configured that
 *    decoder for this device on purpose, and it covers models Fleetwise has no codec for;
 * 2. else nothing when the frame carried no application data (fPort 0 or an empty FRMPayload,
 *    e.g. a bare confirmation or a MAC-only frame), or when it belongs to a LoRa Alliance
 *    application-layer package (clock sync, multicast setup, fragmentation on FPorts 200-202,
 *    which fuota-orchestrator reads itself): the uplink still counts for liveness and link quality;
 * 3. else the model's codec on the FRMPayload.
 * Relative SenML times refer to the uplink's reception.
 * @throws UplinkRejectedError
 */
export function decodeNetworkServerUplink(uplink: NetworkServerUplink, model: string): ResolvedRecord[] {
  const pack = senmlPackIn(uplink.decodedObject);
  if (pack) return resolveSenmlPack(pack, { now: uplink.receivedAt, format: 'json' });
  if (uplink.fPort === 0 || uplink.frmPayload.length === 0) return [];
  if (APPLICATION_LAYER_PACKAGE_PORTS.has(uplink.fPort)) return [];
  return codecForModel(model).decode(uplink.fPort, uplink.frmPayload, uplink.receivedAt);
}

/**
 * A decoded object "is a SenML pack" when it is a non-empty array of maps whose first names a
 * resource (later records may inherit the name from `bn`).
 */
function senmlPackIn(decoded: unknown): unknown[] | undefined {
  const candidate = isPlainObject(decoded) ? decoded['senml'] : decoded;
  if (!Array.isArray(candidate) || candidate.length === 0) return undefined;
  const [first] = candidate;
  const named = isPlainObject(first) && (typeof first['n'] === 'string' || typeof first['bn'] === 'string');
  return named && candidate.every(isPlainObject) ? candidate : undefined;
}
