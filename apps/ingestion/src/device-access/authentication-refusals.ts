import { lorawanAuthenticationFailureOf, type ChirpstackLogEvent } from '@fleet/device-protocol';
import type { DeviceAccess } from './device-access';

/** `fleet.access.DeviceAuthenticationRefused` in plain types: a failed attempt to talk as a device. */
export interface AuthenticationRefusal {
  readonly refusalId: string;
  readonly eventType: 'DeviceAuthenticationRefused';
  readonly deviceId: string | null;
  readonly transport: 'mqtt' | 'lorawan';
  readonly observedBy: 'mosquitto' | 'chirpstack';
  readonly reason: 'bad-credentials' | 'frame-mic-invalid' | 'join-refused';
  readonly clientId: string | null;
  readonly devEui: string | null;
  readonly remoteAddress: string | null;
  readonly detail: string;
  readonly observedAt: number;
  readonly receivedAt: number;
}

export interface RefusalContext {
  readonly receivedAt: number;
  readonly newId: () => string;
}

/** What a refused login line of Mosquitto's log names. */
export interface BrokerLoginRefusal {
  /** Null when the broker logged `<unknown>` (Debian's Mosquitto 2.0.11 logs no client id). */
  readonly clientId: string | null;
  readonly remoteAddress: string | null;
  /** Epoch ms of the line's timestamp; null when it has none or one in a custom format. */
  readonly loggedAt: number | null;
}

const DETAIL_MAX = 500;
const UNKNOWN_CLIENT = '<unknown>';
/**
 * `[<timestamp>: ]Client <id> [<address>:<port>] disconnected: not authorised.` (recent Mosquitto, 2.0.22),
 * or `... Client <id> disconnected, not authorised.` (earlier 2.0 releases). Client ids may hold spaces, so
 * the id runs up to the last ` [` or ` disconnected`.
 */
const REFUSED_LOGIN = /^(?:(.*?): )?Client (.+?)(?: \[([^\]]*)\])? disconnected[:,] not authorised\.\s*$/;

/** Undefined for any other line (connections, disconnections, warnings...). */
export function parseBrokerLoginRefusal(line: string): BrokerLoginRefusal | undefined {
  const match = REFUSED_LOGIN.exec(line);
  if (!match) return undefined;
  const [, stamp, clientId = UNKNOWN_CLIENT, address] = match;
  return {
    clientId: clientId === UNKNOWN_CLIENT ? null : clientId,
    remoteAddress: address || null,
    loggedAt: timestampOf(stamp),
  };
}

/** Mosquitto's default stamp is Unix seconds; `log_timestamp_format` may give any strftime format. */
function timestampOf(stamp: string | undefined): number | null {
  if (!stamp) return null;
  if (/^\d{9,11}$/.test(stamp)) return Number(stamp) * 1_000;
  const parsed = Date.parse(stamp);
  return Number.isFinite(parsed) ? parsed : null;
}

/**
 * A refused MQTT login from the broker's log, attributed to the device whose id is the client id
 * (a device's client id is bound to its device id) when the platform knows that device.
 */
export function refusalFromBrokerLog(
  line: string,
  find: (deviceId: string) => DeviceAccess | undefined,
  context: RefusalContext,
): AuthenticationRefusal | undefined {
  const login = parseBrokerLoginRefusal(line);
  if (!login) return undefined;
  const device = login.clientId === null ? undefined : find(login.clientId);
  return {
    refusalId: context.newId(),
    eventType: 'DeviceAuthenticationRefused',
    deviceId: device?.deviceId ?? null,
    transport: 'mqtt',
    observedBy: 'mosquitto',
    reason: 'bad-credentials',
    clientId: login.clientId,
    devEui: null,
    remoteAddress: login.remoteAddress,
    detail: line.trim().slice(0, DETAIL_MAX),
    observedAt: login.loggedAt ?? context.receivedAt,
    receivedAt: context.receivedAt,
  };
}

/** A LoRaWAN frame or join that failed to authenticate, from a ChirpStack log event; else undefined. */
export function refusalFromChirpstackLog(
  event: ChirpstackLogEvent,
  findByDevEui: (devEui: string) => DeviceAccess | undefined,
  context: RefusalContext,
): AuthenticationRefusal | undefined {
  const reason = lorawanAuthenticationFailureOf(event);
  if (!reason) return undefined;
  return {
    refusalId: context.newId(),
    eventType: 'DeviceAuthenticationRefused',
    deviceId: findByDevEui(event.devEui)?.deviceId ?? null,
    transport: 'lorawan',
    observedBy: 'chirpstack',
    reason,
    clientId: null,
    devEui: event.devEui,
    remoteAddress: null,
    detail: `${event.code}: ${event.description}`.slice(0, DETAIL_MAX),
    observedAt: event.time,
    receivedAt: context.receivedAt,
  };
}
