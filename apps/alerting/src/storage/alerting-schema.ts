/**
 * The alerting service's own tables, in one schema. `alerts` is the read model of the alert
 * streams (rebuildable); the others hold evaluation state that telemetry and device events
 * produced (not in the event store: telemetry never is), each written in the same transaction as
 * the Kafka offsets or inbox entries that produced it.
 */
export const ALERTING_SCHEMA = 'alerting';

export const alertingSchemaSql = (s: string = ALERTING_SCHEMA): string => `
create schema if not exists ${s};

-- Device facts folded from device events (identity, labels, configuration, drift), plus the
-- campaign step that suppresses the device's alerts.
create table if not exists ${s}.devices (
  device_id text primary key,
  facts jsonb,
  interval_s integer not null,
  revision bigint not null default -1,
  drift_check_at timestamptz,
  campaign_id text,
  campaign_until timestamptz,
  updated_at timestamptz not null default now()
);
create index if not exists devices_drift_check on ${s}.devices (drift_check_at) where drift_check_at is not null;
create index if not exists devices_campaign on ${s}.devices (campaign_id) where campaign_id is not null;

-- What each telemetry batch changed, per device, as one row of parallel arrays (cheap to write
-- on the hot path): the deadline tracker merges it into device_activity (docs/adr/012).
create table if not exists ${s}.activity_journal (
  id bigserial primary key,
  devices text[] not null,
  seen double precision[] not null,
  battery real[] not null,
  rssi real[] not null,
  snr real[] not null,
  -- each device's rate window after the batch (see RateWindow), null without rate rules
  window_start double precision[],
  previous_uplinks double precision[],
  current_uplinks double precision[],
  previous_airtime double precision[],
  current_airtime double precision[],
  created_at timestamptz not null default now()
);
-- Rows live seconds: compressing them costs CPU the hot path needs more than the disk does.
alter table ${s}.activity_journal alter column devices set storage external, alter column seen set storage external,
  alter column battery set storage external, alter column rssi set storage external, alter column snr set storage external;

-- Last uplink of each device and the index of silence deadlines.
create table if not exists ${s}.device_activity (
  device_id text primary key,
  last_seen_at timestamptz not null,
  next_check_at timestamptz,
  battery real,
  rssi real,
  snr real,
  -- [window start, previous uplinks, current uplinks, previous air time, current air time]
  rate_window double precision[]
) with (fillfactor = 85);
create index if not exists device_activity_next_check on ${s}.device_activity (next_check_at)
  where next_check_at is not null;

-- Next offset of each consumed partition whose batch is applied (exactly-once per offset).
create table if not exists ${s}.kafka_offsets (
  topic text not null,
  partition integer not null,
  next_offset bigint not null,
  primary key (topic, partition)
);

-- Where each (rule, subject) stands: one open alert at most; episodes number the alerts.
create table if not exists ${s}.alert_state (
  rule_id text not null,
  subject text not null,
  status text not null,
  episode integer not null,
  alert_id uuid,
  rule_kind text not null,
  updated_at timestamptz not null default now(),
  primary key (rule_id, subject)
);
create index if not exists alert_state_active on ${s}.alert_state (subject) where status <> 'closed';

-- Occurrence times of event rules (N events within T), per rule and device.
create table if not exists ${s}.event_occurrences (
  rule_id text not null,
  subject text not null,
  times bigint[] not null,
  primary key (rule_id, subject)
);

-- The data of each command/campaign stream so far, so that a later event (CommandSucceeded)
-- can be matched on what an earlier one said (the command's path).
create table if not exists ${s}.stream_data (
  stream text primary key,
  data jsonb not null,
  updated_at timestamptz not null default now()
);

-- Finished devices per campaign, for campaign error-rate rules.
create table if not exists ${s}.campaigns (
  campaign_id text primary key,
  failed integer not null default 0,
  succeeded integer not null default 0,
  ended boolean not null default false,
  updated_at timestamptz not null default now()
);

-- Read model of the alert streams.
create table if not exists ${s}.alerts (
  alert_id uuid primary key,
  rule_id text not null,
  rule_version integer not null,
  rule_name text not null,
  rule_kind text not null,
  subject text not null,
  device_id text,
  episode integer not null,
  severity text not null,
  status text not null,
  message text not null,
  value double precision,
  bound double precision,
  observed_at timestamptz not null,
  raised_at timestamptz not null,
  acknowledged_at timestamptz,
  acknowledged_by text,
  note text,
  escalated_at timestamptz,
  cleared_at timestamptz,
  cleared_by text,
  clear_reason text,
  version integer not null
);
create index if not exists alerts_active on ${s}.alerts (raised_at) where status <> 'cleared';
create index if not exists alerts_by_device on ${s}.alerts (device_id, raised_at);
create index if not exists alerts_by_rule on ${s}.alerts (rule_id, raised_at);
create index if not exists alerts_by_raised on ${s}.alerts (raised_at, alert_id);

create table if not exists ${s}.webhooks (
  webhook_id uuid primary key,
  url text not null,
  secret text not null,
  event_types text[],
  min_severity text not null,
  rule_ids text[],
  description text not null default '',
  created_by text not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- One row per (webhook, alert event): retried with backoff, dead when the receiver stays down.
create table if not exists ${s}.webhook_deliveries (
  delivery_id uuid primary key,
  webhook_id uuid not null,
  event_id text not null,
  event_type text not null,
  alert_id uuid not null,
  payload jsonb not null,
  status text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  last_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (webhook_id, event_id)
);
create index if not exists webhook_deliveries_due on ${s}.webhook_deliveries (next_attempt_at)
  where status = 'pending';
create index if not exists webhook_deliveries_by_webhook on ${s}.webhook_deliveries (webhook_id, created_at);

create table if not exists ${s}.maintenance_windows (
  window_id uuid primary key,
  scope jsonb not null,
  cron text not null,
  duration_minutes integer not null,
  timezone text not null,
  rule_ids text[],
  reason text,
  created_by text not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz,
  deleted_by text
);

-- Ids of the command, campaign and access events already counted (a relay may publish twice).
create table if not exists ${s}.inbox (
  event_id text primary key,
  handled_at timestamptz not null default now()
);

-- Small facts of the tracker (the silence multipliers whose deadlines are indexed).
create table if not exists ${s}.tracker_state (
  key text primary key,
  value jsonb not null
);
`;
