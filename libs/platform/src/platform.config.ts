import { z } from 'zod';

/**
 * Configuration keys every service reads (each service adds its own). Read once at start-up from
 * the environment and validated; a bad key stops the service with a message naming it.
 */
export const platformConfigSchema = z.object({
  /** HTTP port of the service's API, probes and metrics; each service has its own default. */
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).describe('HTTP port (service default)'),
  /** Interface to listen on; 0.0.0.0 so probes reach it in a pod. */
  HTTP_HOST: z.string().default('0.0.0.0').describe('HTTP interface, default 0.0.0.0'),
  /** PostgreSQL for read models, checkpoints and (by default) the event store. */
  PG_URL: z
    .string()
    .url()
    .default('postgres://postgres@127.0.0.1:5432/fleet')
    .describe('PostgreSQL connection URL'),
  /** Pool size per process; keep replicas × size under the server's max_connections. */
  PG_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('PostgreSQL pool size, default 10'),
  /** Which event-store adapter to use. */
  EVENT_STORE: z
    .enum(['postgres', 'eventstoredb'])
    .default('postgres')
    .describe('event store backend, default postgres'),
  /** EventStoreDB / KurrentDB connection string, required when EVENT_STORE=eventstoredb. */
  EVENTSTORE_URL: z
    .string()
    .optional()
    .describe('EventStoreDB connection string, e.g. esdb://host:2113?tls=false'),
  /** Schema holding the PostgreSQL event store's tables. */
  EVENT_STORE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('event_store')
    .describe('PostgreSQL event store schema'),
  /** Comma-separated bootstrap brokers. */
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:]+:\d+$/, 'expected host:port')).min(1))
    .describe('Kafka bootstrap brokers, default 127.0.0.1:9092'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(6_000)
    .max(300_000)
    .default(30_000)
    .describe(
      'consumer group session timeout: how long a crashed replica holds its partitions, default 30000',
    ),
  /** MQTT broker of the devices, for the services that talk to devices. */
  MQTT_URL: z
    .string()
    .url()
    .default('mqtt://127.0.0.1:1883')
    .describe('MQTT broker URL, default mqtt://127.0.0.1:1883'),
  /** The services' own broker account (deploy/local/mosquitto.sh creates it). */
  MQTT_USERNAME: z
    .string()
    .min(1)
    .default('fleet-platform')
    .describe('MQTT username, default fleet-platform'),
  /** Required in production; in development it is read from .local/mosquitto/credentials.json. */
  MQTT_PASSWORD: z.string().min(1).optional().describe('MQTT password (development: from .local/mosquitto)'),
  /**
   * Longest orderly shutdown after SIGTERM (stop intake, finish in-flight work, commit offsets,
   * close connections); past it the service exits 1. Keep it below Kubernetes'
   * terminationGracePeriodSeconds minus the preStop delay (deploy/kubernetes).
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(25_000)
    .describe('longest orderly shutdown after SIGTERM before exiting 1, default 25000'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
    .default('info')
    .describe('log level, default info'),
});

export type PlatformConfig = z.infer<typeof platformConfigSchema>;
