import { ALERTING_SCHEMA } from '../alerting-schema';

const s = ALERTING_SCHEMA;

/** Qualified names of the alerting tables (see alerting-schema.ts). */
export const TABLES = {
  devices: `${s}.devices`,
  journal: `${s}.activity_journal`,
  activity: `${s}.device_activity`,
  kafkaOffsets: `${s}.kafka_offsets`,
  alertState: `${s}.alert_state`,
  eventOccurrences: `${s}.event_occurrences`,
  streamData: `${s}.stream_data`,
  campaigns: `${s}.campaigns`,
  alerts: `${s}.alerts`,
  webhooks: `${s}.webhooks`,
  deliveries: `${s}.webhook_deliveries`,
  windows: `${s}.maintenance_windows`,
  inbox: `${s}.inbox`,
  trackerState: `${s}.tracker_state`,
} as const;
