import { Topics } from '@fleet/contracts';
import { loadServiceConfig } from '@fleet/platform';
import { z } from 'zod';

export const ALERTING_PORT = 3004;

const milliseconds = (min: number, max: number, fallback: number, what: string) =>
  z.coerce.number().int().min(min).max(max).default(fallback).describe(`${what} (ms, default ${fallback})`);

const typeList = (fallback: string, what: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Z][A-Za-z0-9]{0,99}$/, 'PascalCase event type names')).min(1))
    .describe(`${what}, comma-separated (default ${fallback})`);

export const alertingKeys = {
  TELEMETRY_TOPIC: z.string().default(Topics.telemetry).describe('topic of decoded device readings'),
  TELEMETRY_GROUP_ID: z
    .string()
    .default('alerting-telemetry')
    .describe('Kafka consumer group of the telemetry evaluation'),
  ALERTING_TELEMETRY_CONSUMERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(32)
    .default(3)
    .describe(
      'telemetry consumers per process (members of one group): their partitions are evaluated side by side, so one batch waiting on PostgreSQL does not hold up the others (default 3)',
    ),
  DEVICE_EVENTS_TOPIC: z.string().default(Topics.deviceEvents).describe('topic of device events'),
  COMMAND_EVENTS_TOPIC: z.string().default(Topics.commandEvents).describe('topic of command events'),
  CAMPAIGN_EVENTS_TOPIC: z.string().default(Topics.campaignEvents).describe('topic of campaign events'),
  DEVICE_ACCESS_TOPIC: z
    .string()
    .default('fleet.device-access.v1')
    .describe('optional topic of device access events (authentication refusals); read once it exists'),
  TELEMETRY_DEAD_LETTER_TOPIC: z
    .string()
    .default(`${Topics.telemetry}.dlt`)
    .describe("ingestion's dead letters (source `telemetry-dead-letters` of event rules)"),
  ALERT_EVENTS_TOPIC: z.string().default(Topics.alertEvents).describe('topic alert events are relayed to'),
  ALERTING_EVENTS_GROUP_ID: z
    .string()
    .default('alerting-events')
    .describe('Kafka consumer group of device, command, campaign and access events'),
  ALERTING_TOPIC_RECHECK_MS: milliseconds(
    1_000,
    3_600_000,
    60_000,
    'how often missing event topics are looked for',
  ),
  ALERTING_SILENCE_CHECK_MS: milliseconds(100, 60_000, 1_000, 'period of the deadline tracker'),
  ALERTING_ESCALATION_CHECK_MS: milliseconds(100, 600_000, 5_000, 'period of the escalation sweep'),
  ALERTING_RULES_REFRESH_MS: milliseconds(100, 60_000, 1_000, 'how often rules and windows are reloaded'),
  ALERTING_HEALTH_REFRESH_MS: milliseconds(500, 600_000, 15_000, 'how often fleet health is recomputed'),
  ALERTING_DEVICE_CACHE_SIZE: z.coerce
    .number()
    .int()
    .min(100)
    .max(5_000_000)
    .default(200_000)
    .describe('devices whose facts and rate windows are kept in memory (LRU, default 200000)'),
  ALERTING_DEVICE_CACHE_TTL_MS: milliseconds(
    0,
    3_600_000,
    30_000,
    'how long cached device facts are trusted',
  ),
  ALERTING_WEBHOOK_TIMEOUT_MS: milliseconds(100, 120_000, 5_000, 'timeout of one webhook call'),
  ALERTING_WEBHOOK_RETRY_BASE_MS: milliseconds(
    10,
    3_600_000,
    5_000,
    'first webhook retry delay, doubled each time',
  ),
  ALERTING_WEBHOOK_RETRY_MAX_MS: milliseconds(10, 86_400_000, 600_000, 'longest webhook retry delay'),
  ALERTING_WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(12)
    .describe('attempts before a delivery is dead-lettered (default 12, about 4 hours)'),
  ALERTING_WEBHOOK_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe('webhook calls in flight (default 16; at most 4 per webhook)'),
  ALERTING_WEBHOOK_POLL_MS: milliseconds(50, 60_000, 500, 'how often due webhook deliveries are looked for'),
  ALERTING_CAMPAIGN_FAILURE_TYPES: typeList(
    'FirmwareUpdateFailed,DeviceUpdateFailed',
    'campaign event types that are a failed device',
  ),
  ALERTING_CAMPAIGN_SUCCESS_TYPES: typeList(
    'FirmwareUpdateSucceeded,DeviceUpdateSucceeded',
    'campaign event types that are a device updated',
  ),
  ALERTING_CAMPAIGN_END_TYPES: typeList(
    'CampaignCompleted,CampaignCancelled,CampaignAborted',
    'campaign event types that end a campaign',
  ),
  ALERTING_CAMPAIGN_SUPPRESSION_MS: milliseconds(
    0,
    7 * 86_400_000,
    6 * 3_600_000,
    "how long a device's campaign step suppresses its alerts unless a later step ends it",
  ),
  ALERTING_CAMPAIGN_GRACE_MS: milliseconds(
    0,
    86_400_000,
    15 * 60_000,
    "suppression left after a device's update ended (its reboot and first reports)",
  ),
};

export const loadAlertingConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('alerting', ALERTING_PORT, alertingKeys, env);

export type AlertingConfig = ReturnType<typeof loadAlertingConfig>;

export const ALERTING_CONFIG = Symbol('ALERTING_CONFIG');
