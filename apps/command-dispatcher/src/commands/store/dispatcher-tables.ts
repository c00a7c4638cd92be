import type { Pool } from 'pg';

/**
 * The dispatcher's read models, all rebuildable from the event store and the device topics:
 * what it knows of each device, each command's latest state (with the aggregate state as a
 * snapshot, so answers and sends decide without reading the stream), and bulk jobs' targets.
 */
export const DISPATCHER_SCHEMA = `
CREATE TABLE IF NOT EXISTS dispatch_devices (
  device_id text PRIMARY KEY,
  revision bigint NOT NULL DEFAULT -1,
  status text NOT NULL,
  kind text NOT NULL,
  lorawan_class text,
  dev_eui text,
  region text,
  model text,
  firmware_version text,
  tags text[] NOT NULL DEFAULT '{}',
  attributes jsonb NOT NULL DEFAULT '{}',
  max_in_flight integer NOT NULL DEFAULT 1,
  data_rate integer,
  battery_percent real,
  firmware_update_state integer,
  last_uplink_at timestamptz,
  airtime_window_start timestamptz,
  airtime_used_ms real NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dispatch_commands (
  command_id uuid PRIMARY KEY,
  device_id text NOT NULL,
  job_id uuid,
  status text NOT NULL,
  version integer NOT NULL,
  operation text NOT NULL,
  path text NOT NULL,
  origin text NOT NULL,
  configuration_key text,
  requested_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  not_before timestamptz,
  sent_at timestamptz,
  state jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS dispatch_commands_device ON dispatch_commands (device_id, requested_at);
CREATE INDEX IF NOT EXISTS dispatch_commands_open ON dispatch_commands (device_id, requested_at)
  WHERE status IN ('queued', 'sent', 'delivered');
CREATE INDEX IF NOT EXISTS dispatch_commands_expiry ON dispatch_commands (expires_at)
  WHERE status IN ('requested', 'queued', 'sent', 'delivered');
CREATE INDEX IF NOT EXISTS dispatch_commands_job ON dispatch_commands (job_id, status) WHERE job_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS dispatch_jobs (
  job_id uuid PRIMARY KEY,
  version integer NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  start_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  rate_per_minute integer,
  target_count integer NOT NULL,
  released_count integer NOT NULL DEFAULT 0,
  definition jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS dispatch_job_targets (
  job_id uuid NOT NULL,
  seq integer NOT NULL,
  device_id text NOT NULL,
  command_id uuid,
  PRIMARY KEY (job_id, seq)
);
`;

export async function ensureDispatcherSchema(pool: Pool): Promise<void> {
  // Serialised: replicas starting together must not race on CREATE ... IF NOT EXISTS.
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['dispatcher-schema']);
    await client.query(DISPATCHER_SCHEMA);
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', ['dispatcher-schema'])
      .catch(() => undefined);
    client.release();
  }
}
