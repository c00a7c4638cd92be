import { z } from 'zod';
import { rejected } from '../errors';
import { parseChirpstackLogTopic } from '../topics';
import {
  checkTopicMatches,
  devEuiSchema,
  parseNetworkServerMessage,
  timestampSchema,
} from './network-server-uplink';

/**
 * ChirpStack v4 `integration.LogEvent` in its JSON form. Protobuf JSON omits default values, so an
 * absent level is INFO and an absent code UNKNOWN; codes are kept as strings, as ChirpStack adds some.
 */
const logEventSchema = z.object({
  time: timestampSchema,
  deviceInfo: z.object({
    tenantId: z.string().min(1),
    applicationId: z.string().min(1),
    devEui: devEuiSchema,
  }),
  level: z.string().max(32).default('INFO'),
  code: z.string().max(64).default('UNKNOWN'),
  description: z.string().max(4_096).default(''),
  context: z.record(z.string(), z.string()).default({}),
});

export interface ChirpstackLogEvent {
  readonly devEui: string;
  readonly applicationId: string;
  readonly time: number;
  readonly level: string;
  readonly code: string;
  readonly description: string;
  readonly context: Readonly<Record<string, string>>;
}

/**
 * Parses a ChirpStack v4 log event (`application/{applicationId}/device/{devEui}/event/log`).
 * @throws UplinkRejectedError `malformed` naming the fields at fault
 */
export function parseChirpstackLogEvent(topic: string, payload: Uint8Array): ChirpstackLogEvent {
  const address = parseChirpstackLogTopic(topic);
  if (!address) throw rejected('malformed', `not a ChirpStack log topic: ${topic.slice(0, 200)}`);
  const event = parseNetworkServerMessage('chirpstack', payload, logEventSchema);
  checkTopicMatches('chirpstack', 'devEui', address.devEui, event.deviceInfo.devEui);
  checkTopicMatches('chirpstack', 'applicationId', address.applicationId, event.deviceInfo.applicationId);
  return {
    devEui: event.deviceInfo.devEui,
    applicationId: event.deviceInfo.applicationId,
    time: event.time,
    level: event.level,
    code: event.code,
    description: event.description,
    context: event.context,
  };
}

export type LorawanAuthenticationFailure = 'frame-mic-invalid' | 'join-refused';

/**
 * Whether a log event says a frame or join request failed to authenticate as the device: `UPLINK_MIC`
 * (a data frame whose MIC does not match the session keys) and `OTAA` (a join request refused: bad
 * MIC, or a DevNonce used before, i.e. a replay). Codec, frame-counter and downlink errors are not
 * authentication failures: undefined.
 */
export function lorawanAuthenticationFailureOf(
  event: ChirpstackLogEvent,
): LorawanAuthenticationFailure | undefined {
  if (event.level === 'INFO') return undefined;
  if (event.code === 'UPLINK_MIC') return 'frame-mic-invalid';
  if (event.code === 'OTAA') return 'join-refused';
  return undefined;
}
