import { z } from 'zod';

const ms = (max: number, fallback: number, what: string) =>
  z.coerce.number().int().min(0).max(max).default(fallback).describe(what);
const count = (min: number, max: number, fallback: number, what: string) =>
  z.coerce.number().int().min(min).max(max).default(fallback).describe(what);
const HOUR = 3_600_000;

/**
 * fuota-orchestrator's keys for LoRaWAN multicast sessions (docs/lorawan-fuota.md, "Multicast
 * sessions"). The device-events topic and the consumer-group prefix are the campaigns' keys
 * (DEVICE_EVENTS_TOPIC, FUOTA_GROUP_PREFIX), shared rather than repeated.
 */
export const multicastKeys = {
  FUOTA_MULTICAST_NETWORK_SERVER: z
    .enum(['chirpstack', 'tts'])
    .default('chirpstack')
    .describe('network server the sessions go through: its MQTT integration for unicast and uplinks'),
  FUOTA_MULTICAST_APPLICATION_ID: z
    .string()
    .min(1)
    .default('00000000-0000-4000-8000-000000000001')
    .describe(
      'network-server application of the devices (device attribute `lorawanApplicationId` overrides)',
    ),
  FUOTA_MULTICAST_TTS_TENANT_ID: z
    .string()
    .optional()
    .describe('The Things Stack tenant in topics (unset: The Things Stack Open Source, no tenant)'),
  FUOTA_MULTICAST_TTS_GATEWAY_IDS: z
    .string()
    .default('')
    .describe('The Things Stack: comma-separated gateways class C multicast downlinks go out through'),
  FUOTA_MULTICAST_MAX_SESSION_SECONDS: count(
    1,
    32_768,
    3_600,
    'longest multicast session a plan may take (TS005 allows 2^15 s)',
  ),
  FUOTA_MULTICAST_MAX_DEVICES: count(1, 100_000, 5_000, 'most devices in one session'),
  FUOTA_MULTICAST_SETUP_WINDOW_MS: ms(
    7 * 24 * HOUR,
    15 * 60_000,
    'default time from planning to SessionTime: class A devices take their setup with their uplinks',
  ),
  FUOTA_MULTICAST_FRAGMENT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(HOUR)
    .optional()
    .describe(
      'pause between multicast fragments (unset: the plan’s duty-cycle slot; set it in tests and simulations)',
    ),
  FUOTA_MULTICAST_START_GUARD_MS: ms(
    60_000,
    2_000,
    'fragments start this long after SessionTime (device clocks agree to ~1 s)',
  ),
  FUOTA_MULTICAST_STATUS_WINDOW_MS: ms(
    HOUR,
    20_000,
    'how long status answers are collected after FragSessionStatusReq (BlockAckDelay 0: 16 s)',
  ),
  FUOTA_MULTICAST_VERIFY_TIMEOUT_MS: ms(
    7 * 24 * HOUR,
    15 * 60_000,
    'how long a device with the whole block may take to report its new version',
  ),
  FUOTA_MULTICAST_MAX_ROUNDS: count(1, 10, 3, 'multicast passes per session at most, the first included'),
  FUOTA_MULTICAST_UNICAST_REPAIR_MAX_FRAGMENTS: count(
    0,
    10_000,
    64,
    'repair in unicast once all devices together need at most this many fragments',
  ),
  FUOTA_MULTICAST_UNICAST_REPAIR_MAX_PER_DEVICE: count(
    0,
    1_000,
    32,
    'a device needing more fragments than this after the last round fails',
  ),
  FUOTA_MULTICAST_UNICAST_REPAIR_ATTEMPTS: count(1, 20, 3, 'unicast repairs per device'),
  FUOTA_MULTICAST_UNICAST_ANSWER_WINDOW_MS: ms(
    7 * 24 * HOUR,
    15 * 60_000,
    'how long a unicast repair waits for the status answer',
  ),
  FUOTA_MULTICAST_TICK_MS: count(10, 60_000, 200, 'how often session deadlines are checked'),
};

export type MulticastConfig = z.output<z.ZodObject<typeof multicastKeys>> & {
  readonly DEVICE_EVENTS_TOPIC: string;
  readonly FUOTA_GROUP_PREFIX: string;
};
