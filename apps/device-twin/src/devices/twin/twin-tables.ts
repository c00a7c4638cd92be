/**
 * Names and DDL of the twin read model. `devices` and `timeline` are rebuilt from the event store
 * (a rebuild fills `*_next` tables and swaps them in); `connectivity` comes from telemetry and is
 * never rebuilt. `timeline` keeps one row per period in which a device's searchable facts stayed
 * the same, for fleet queries at a point in time.
 */
export interface TwinTables {
  readonly schema: string;
  readonly devices: string;
  readonly timeline: string;
  /** The twin every {@link SNAPSHOT_INTERVAL} versions, so old states of long streams rebuild fast. */
  readonly snapshots: string;
  readonly connectivity: string;
  readonly telemetryOffsets: string;
}

export const TWIN_SCHEMA = 'device_twin';

/** A snapshot is kept at every version divisible by this. */
export const SNAPSHOT_INTERVAL = 500;

/** Injection token of the live {@link TwinTables}. */
export const TWIN_TABLES = Symbol('TWIN_TABLES');

export function twinTables(schema = TWIN_SCHEMA, suffix = ''): TwinTables {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema) || !/^[a-z0-9_]*$/.test(suffix)) {
    throw new Error(`invalid twin table names: ${schema} ${suffix}`);
  }
  return {
    schema,
    devices: `${schema}.devices${suffix}`,
    timeline: `${schema}.timeline${suffix}`,
    snapshots: `${schema}.snapshots${suffix}`,
    connectivity: `${schema}.connectivity`,
    telemetryOffsets: `${schema}.telemetry_offsets`,
  };
}

/** Lock taken shared by every projection write and exclusively by a rebuild's final swap. */
export const TWIN_WRITE_LOCK = `hashtext('fleet-device-twin-write')`;

/**
 * DDL of the rebuildable tables. A rebuild creates its copies without keys (`keys: false`), loads
 * them, then adds keys and indexes with {@link rebuildableIndexesSql}: building an index once is
 * much cheaper than maintaining it row by row.
 */
export function rebuildableTablesSql(t: TwinTables, options: { keys?: boolean } = {}): string {
  const { devices, timeline, snapshots } = rebuildableTablesByTable(t, options);
  return [devices, timeline, snapshots].join('\n');
}

/** {@link rebuildableTablesSql} a table at a time, for a rebuild that creates each on its own connection. */
export function rebuildableTablesByTable(
  t: TwinTables,
  { keys = true } = {},
): { devices: string; timeline: string; snapshots: string } {
  return {
    devices: `
create table if not exists ${t.devices} (
  device_id text ${keys ? 'primary key' : 'not null'},
  tenant text not null,
  serial text not null,
  manufacturer text not null,
  model text not null,
  firmware_version text,
  status text not null,
  region text,
  device_class text not null,
  tags text[] not null,
  expected_interval_s integer not null,
  version bigint not null,
  provisioned_at timestamptz not null,
  updated_at timestamptz not null,
  view jsonb not null
);`,
    timeline: `
create table if not exists ${t.timeline} (
  device_id text not null,
  version bigint not null,
  valid_from timestamptz not null,
  valid_to timestamptz,
  serial text not null,
  manufacturer text not null,
  model text not null,
  firmware_version text,
  status text not null,
  region text,
  tags text[] not null${keys ? ',\n  primary key (device_id, version)' : ''}
);`,
    snapshots: `
create table if not exists ${t.snapshots} (
  device_id text not null,
  version bigint not null,
  occurred_at timestamptz not null,
  view jsonb not null${keys ? ',\n  primary key (device_id, version)' : ''}
);`,
  };
}

/**
 * Secondary indexes (and, for a rebuild's copies, the keys) of each rebuildable table; a rebuild
 * builds the tables' indexes side by side on separate connections.
 */
export function rebuildableIndexesByTable(
  t: TwinTables,
  options: { keys?: boolean } = {},
): { devices: string; timeline: string; snapshots: string } {
  const { devices, timeline, snapshots } = rebuildableIndexStatements(t, options);
  const join = (statements: readonly string[]) => statements.map((s) => `${s};\n`).join('');
  return { devices: join(devices), timeline: join(timeline), snapshots: join(snapshots) };
}

/**
 * {@link rebuildableIndexesByTable} a statement at a time (the key first): a rebuild spreads the
 * index builds over its connections, since builds on one table do not block each other.
 */
export function rebuildableIndexStatements(
  t: TwinTables,
  { keys = false } = {},
): { devices: string[]; timeline: string[]; snapshots: string[] } {
  const base = (name: string) => name.slice(t.schema.length + 1);
  const key = (table: keyof ReturnType<typeof rebuildableKeys>) => (keys ? [rebuildableKeys(t)[table]] : []);
  return {
    devices: [
      ...key('devices'),
      `create index if not exists ${base(t.devices)}_serial_id on ${t.devices} (serial, device_id)`,
      `create index if not exists ${base(t.devices)}_model_id on ${t.devices} (manufacturer, model, device_id)`,
      `create index if not exists ${base(t.devices)}_firmware_id on ${t.devices} (firmware_version, device_id)`,
      `create index if not exists ${base(t.devices)}_status_id on ${t.devices} (status, device_id)`,
      `create index if not exists ${base(t.devices)}_region_id on ${t.devices} (region, device_id)`,
      `create index if not exists ${base(t.devices)}_tags on ${t.devices} using gin (tags)`,
      `create index if not exists ${base(t.devices)}_updated on ${t.devices} (updated_at, device_id)`,
      `create index if not exists ${base(t.devices)}_provisioned on ${t.devices} (provisioned_at, device_id)`,
      // Index-only counts over 100,000 twins need a fresh visibility map.
      `alter table ${t.devices} set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02)`,
    ],
    timeline: [
      ...key('timeline'),
      `create index if not exists ${base(t.timeline)}_firmware on ${t.timeline} (firmware_version, valid_from)`,
      `create index if not exists ${base(t.timeline)}_period on ${t.timeline} (valid_from, valid_to)`,
      `create index if not exists ${base(t.timeline)}_serial_id on ${t.timeline} (serial, device_id)`,
      `create index if not exists ${base(t.timeline)}_tags on ${t.timeline} using gin (tags)`,
    ],
    snapshots: key('snapshots'),
  };
}

/** The primary key of each rebuildable table, for a rebuild's copies (created without). */
export function rebuildableKeys(t: TwinTables): { devices: string; timeline: string; snapshots: string } {
  const key = (table: string, columns: string) =>
    `alter table ${table} add constraint ${table.slice(t.schema.length + 1)}_pkey primary key (${columns})`;
  return {
    devices: key(t.devices, 'device_id'),
    timeline: key(t.timeline, 'device_id, version'),
    snapshots: key(t.snapshots, 'device_id, version'),
  };
}

export function rebuildableIndexesSql(t: TwinTables, options: { keys?: boolean } = {}): string {
  const { devices, timeline, snapshots } = rebuildableIndexesByTable(t, options);
  return [devices, timeline, snapshots].join('\n');
}

export function twinSchemaSql(t: TwinTables): string {
  return `
select pg_advisory_xact_lock(hashtext('fleet-device-twin-ddl'));
create schema if not exists ${t.schema};
${rebuildableTablesSql(t)}
${rebuildableIndexesSql(t)}
create table if not exists ${t.connectivity} (
  device_id text primary key,
  last_seen_at timestamptz not null,
  battery_percent real,
  rssi real,
  snr real,
  uplink_count bigint not null default 0,
  downlink_count bigint not null default 0,
  airtime_window_start timestamptz,
  airtime_ms double precision not null default 0,
  updated_at timestamptz not null default now()
);
create index if not exists connectivity_last_seen_id on ${t.connectivity} (last_seen_at, device_id);
create index if not exists connectivity_battery_id on ${t.connectivity} (battery_percent, device_id);
alter table ${t.connectivity} set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
create table if not exists ${t.telemetryOffsets} (
  topic text not null,
  partition integer not null,
  next_offset bigint not null,
  primary key (topic, partition)
);`;
}
