import { hostname } from 'node:os';
import { Topics } from '@fleet/contracts';
import { loadServiceConfig } from '@fleet/platform';
import { z } from 'zod';

export const INGESTION_PORT = 3005;

const count = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const ingestionKeys = {
  TELEMETRY_TOPIC: z.string().default(Topics.telemetry).describe('topic of decoded device readings'),
  COMMAND_RESPONSES_TOPIC: z
    .string()
    .default(Topics.commandResponses)
    .describe("topic of devices' answers to commands"),
  DEVICE_ACCESS_TOPIC: z
    .string()
    .default(Topics.deviceAccess)
    .describe('topic of failed authentications as a device (refused logins, bad LoRaWAN MICs)'),
  INGESTION_BROKER_LOG: z
    .enum(['on', 'off'])
    .default('on')
    .describe(
      "read refused logins from the broker's $SYS/broker/log/N (one replica, under a lease); off for brokers without Mosquitto's log topic",
    ),
  DEVICE_EVENTS_TOPIC: z
    .string()
    .default(Topics.deviceEvents)
    .describe('topic of device events (who may talk)'),
  /**
   * Stable per replica (a StatefulSet pod name): it names the MQTT sessions, whose unacknowledged
   * messages wait in the broker for the same replica to come back after a crash.
   */
  INGESTION_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default(
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 64),
    )
    .describe('stable id of this replica, default the host name'),
  INGESTION_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default('fleet-ingestion')
    .describe('MQTT shared-subscription group that replicas split the uplinks in'),
  INGESTION_SESSION_EXPIRY_S: count(10, 7 * 24 * 3600, 24 * 3600).describe(
    "how long the broker keeps a replica's MQTT sessions (and queues uplinks for them) while it is away, default 86400",
  ),
  INGESTION_MQTT_CONNECTIONS: count(1, 64, 2).describe('MQTT connections per replica, default 2'),
  INGESTION_MAX_IN_FLIGHT: count(1, 65_535, 2_000).describe(
    'unacknowledged QoS 1 messages per connection (MQTT 5 receive maximum), default 2000',
  ),
  INGESTION_BATCH_SIZE: count(1, 20_000, 5_000).describe(
    'records per Kafka send, default 5000 (sent in requests of at most 900 KB)',
  ),
  INGESTION_LINGER_MS: count(0, 1_000, 5).describe('wait for a fuller Kafka batch, default 5 ms'),
};

export const loadIngestionConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('ingestion', INGESTION_PORT, ingestionKeys, env);

export type IngestionConfig = ReturnType<typeof loadIngestionConfig>;

export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');
