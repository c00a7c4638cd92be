import { Topics } from '@fleet/contracts';
import { loadServiceConfig } from '@fleet/platform';
import { z } from 'zod';

export const COMMAND_DISPATCHER_PORT = 3002;

const ms = (max: number, fallback: number, what: string) =>
  z.coerce.number().int().min(0).max(max).default(fallback).describe(what);

export const commandDispatcherKeys = {
  DEVICE_EVENTS_TOPIC: z
    .string()
    .default(Topics.deviceEvents)
    .describe('topic of device events (who exists, status, class)'),
  TELEMETRY_TOPIC: z
    .string()
    .default(Topics.telemetry)
    .describe('topic of decoded readings (tells when sleepy devices wake)'),
  COMMAND_RESPONSES_TOPIC: z
    .string()
    .default(Topics.commandResponses)
    .describe("topic of devices' answers to commands"),
  COMMAND_REQUESTS_TOPIC: z
    .string()
    .default(Topics.commandRequests)
    .describe('topic of commands other services ask for (fuota-orchestrator)'),
  COMMAND_EVENTS_TOPIC: z
    .string()
    .default(Topics.commandEvents)
    .describe('topic the command events are relayed to'),
  DISPATCHER_GROUP_PREFIX: z
    .string()
    .default('command-dispatcher')
    .describe('prefix of the Kafka consumer groups'),
  COMMAND_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400)
    .describe('default time-to-live of a command when the request names none'),
  COMMAND_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .default(3)
    .describe('default sends before giving up'),
  ACK_TIMEOUT_MS: ms(3_600_000, 10_000, 'how long a sent command waits for any answer before it is retried'),
  RETRY_BASE_MS: ms(3_600_000, 2_000, 'first retry delay; doubles with each attempt'),
  LISTEN_WINDOW_MS: ms(60_000, 1_500, 'how long a sleepy or class A device listens after it talked'),
  DISPATCH_INTERVAL_MS: ms(60_000, 200, 'how often queued work, expiries and timeouts are swept'),
  DISPATCH_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe('commands sent per sweep'),
  MIN_BATTERY_FOR_HEAVY_PERCENT: z.coerce
    .number()
    .min(0)
    .max(100)
    .default(20)
    .describe('heavy operations (firmware, factory reset) are refused below this battery level'),
  AIRTIME_WINDOW_MS: ms(
    86_400_000,
    3_600_000,
    'window over which a LoRaWAN device’s downlink duty cycle is budgeted',
  ),
  LORAWAN_NETWORK_SERVER: z
    .enum(['chirpstack', 'tts'])
    .default('chirpstack')
    .describe('network server LoRaWAN downlinks go through'),
  LORAWAN_APPLICATION_ID: z
    .string()
    .default('00000000-0000-4000-8000-000000000001')
    .describe(
      'network-server application of LoRaWAN devices (device attribute `lorawanApplicationId` overrides)',
    ),
  TTS_TENANT_ID: z.string().default('ttn').describe('The Things Stack tenant of the application'),
  JOB_TARGET_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200_000)
    .describe('largest bulk job'),
};

export const loadCommandDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('command-dispatcher', COMMAND_DISPATCHER_PORT, commandDispatcherKeys, env);

export type CommandDispatcherConfig = ReturnType<typeof loadCommandDispatcherConfig>;

export const COMMAND_DISPATCHER_CONFIG = Symbol('COMMAND_DISPATCHER_CONFIG');
