/** Default PostgreSQL schema holding the event store's tables. */
export const DEFAULT_SCHEMA = 'event_store';

/**
 * Schema names are interpolated into SQL (identifiers cannot be bound as parameters), so only
 * plain lower-case identifiers are accepted.
 */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid event store schema name: ${JSON.stringify(schema)}`);
  }
}

/**
 * Idempotent DDL for the event store, sent as one simple query (so PostgreSQL runs it as one implicit
 * transaction) under an advisory lock, because concurrent `create ... if not exists` statements can
 * still collide in the catalog.
 *
 * - `events.tx_id` is the writing transaction's id; with the `(tx_id, position)` index it lets
 *   readers consume the log in an order to which no committed event is ever added behind them.
 * - `streams` holds one row per stream whose row lock serialises appends to that stream and
 *   whose `revision` is compared with the expected revision.
 */
export function schemaSql(schema: string): string {
  assertSchemaName(schema);
  return `
select pg_advisory_xact_lock(hashtext('fleet-event-store:${schema}'));
create schema if not exists ${schema};
create table if not exists ${schema}.events (
  position bigserial primary key,
  tx_id xid8 not null default pg_current_xact_id(),
  stream text not null,
  revision bigint not null,
  event_id uuid not null,
  type text not null,
  data jsonb not null,
  metadata jsonb not null,
  recorded_at timestamptz not null default now(),
  constraint events_event_id_unique unique (event_id),
  constraint events_stream_revision_unique unique (stream, revision)
);
create index if not exists events_tx_id_position on ${schema}.events (tx_id, position);
create table if not exists ${schema}.streams (
  stream text primary key,
  revision bigint not null
);
create table if not exists ${schema}.checkpoints (
  subscription_id text primary key,
  commit bigint not null,
  prepare bigint not null,
  updated_at timestamptz not null default now()
);`;
}

/** Channel on which appends notify subscribers; one per schema so that stores do not wake each other. */
export function notifyChannel(schema: string): string {
  return `${schema}_events`;
}
