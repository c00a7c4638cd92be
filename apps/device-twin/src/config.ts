import { Topics } from '@fleet/contracts';
import { ConfigurationError } from '@fleet/observability';
import { loadServiceConfig } from '@fleet/platform';
import { z } from 'zod';

export const DEVICE_TWIN_PORT = 3001;

export const deviceTwinKeys = {
  DEVICE_KEK: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64')
    .optional()
    .describe(
      'key-encryption key for device root keys (base64, 32 bytes); a development key is used when unset',
    ),
  DEVICE_KEK_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('kek-1')
    .describe('id recorded with every ciphertext made with DEVICE_KEK'),
  NODE_ENV: z.string().default('development'),
  DEVICE_BROKER_REGISTRATION: z
    .enum(['mosquitto-dynsec', 'none'])
    .default('mosquitto-dynsec')
    .describe(
      "where new device secrets go: Mosquitto's dynamic security, or none when the broker authenticates through ingestion's HTTP hooks (EMQX, HiveMQ)",
    ),
  TELEMETRY_TOPIC: z.string().default(Topics.telemetry).describe('topic of decoded device readings'),
  DEVICE_EVENTS_TOPIC: z
    .string()
    .default(Topics.deviceEvents)
    .describe('topic the device events are relayed to'),
  TELEMETRY_GROUP_ID: z.string().default('device-twin-telemetry').describe('Kafka consumer group'),
  COMMAND_EVENTS_TOPIC: z
    .string()
    .default(Topics.commandEvents)
    .describe("topic of command-dispatcher's command events, read for acknowledged configuration writes"),
  COMMAND_EVENTS_GROUP_ID: z
    .string()
    .default('device-twin-command-outcomes')
    .describe('Kafka consumer group of the command events'),
  READ_YOUR_WRITES_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30_000)
    .default(3_000)
    .describe('how long a write waits for the twin to show it before answering 202'),
};

export const loadDeviceTwinConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = loadServiceConfig('device-twin', DEVICE_TWIN_PORT, deviceTwinKeys, env);
  if (config.NODE_ENV === 'production' && !config.DEVICE_KEK) {
    throw new ConfigurationError('device-twin', ['DEVICE_KEK: required when NODE_ENV=production']);
  }
  return config;
};

export type DeviceTwinConfig = ReturnType<typeof loadDeviceTwinConfig>;

export const DEVICE_TWIN_CONFIG = Symbol('DEVICE_TWIN_CONFIG');
