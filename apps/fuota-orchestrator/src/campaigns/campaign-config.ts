import { Topics } from '@fleet/contracts';
import { z } from 'zod';

/** Keys of campaigns and of the device view they read (fuota-orchestrator). */
export const campaignKeys = {
  DEVICE_EVENTS_TOPIC: z
    .string()
    .default(Topics.deviceEvents)
    .describe('topic of device events (who exists, status, model, firmware)'),
  TELEMETRY_TOPIC: z
    .string()
    .default(Topics.telemetry)
    .describe('topic of decoded readings (battery, /5/0/3 state, /5/0/5 result, /3/0/3 version)'),
  COMMAND_EVENTS_TOPIC: z
    .string()
    .default(Topics.commandEvents)
    .describe('topic of command events (how campaign steps ended)'),
  COMMAND_REQUESTS_TOPIC: z
    .string()
    .default(Topics.commandRequests)
    .describe('topic campaign steps are asked of command-dispatcher on'),
  CAMPAIGN_EVENTS_TOPIC: z
    .string()
    .default(Topics.campaignEvents)
    .describe('topic the campaign events are relayed to'),
  FUOTA_GROUP_PREFIX: z
    .string()
    .default('fuota-orchestrator')
    .describe('prefix of the Kafka consumer groups'),
  CAMPAIGN_TICK_MS: z.coerce
    .number()
    .int()
    .min(20)
    .max(60_000)
    .default(500)
    .describe('how often running campaigns advance'),
  CAMPAIGN_COMMAND_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(7 * 86_400)
    .describe("time-to-live of a campaign step's command (sleepy devices may take days to wake)"),
  CAMPAIGN_TARGET_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .max(5_000_000)
    .default(1_000_000)
    .describe('most devices one campaign may target'),
  CAMPAIGN_CONTINUOUS_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(86_400_000)
    .default(60_000)
    .describe('how often continuous campaigns look for devices that started to match'),
};
