import { mapConcurrently } from '@fleet/core';
import { PostgresEventStore } from '@fleet/event-store';
import { Client, Pool } from 'pg';
import type { TwinTables } from '../../apps/device-twin/src/devices/twin/twin-tables';
import { fleetDeviceEvents } from './events';
import { log, round, seconds } from './timing';

/**
 * The benchmark's own database (`fleet_bench`): an event store of {@link DEVICES} devices with
 * {@link EVENTS_PER_DEVICE} events each, seeded once and reused while it holds exactly that.
 * Everything a run adds (the long-history device, bulk-provisioned devices, the raw append
 * baseline) is removed again at the end of the run, and at the start of the next one should a run
 * have died half-way.
 */
export const DEVICES = 100_000;
export const EVENTS_PER_DEVICE = 10;
/** Names this data set; change it whenever the generator changes, so that a stale set is re-seeded. */
export const DATASET = 'twin-bench-v1';
const SEED_WRITERS = 8;

/** Serials of bulk-provisioned devices start with this; their reservation streams are `serial-default/…`. */
export const BULK_SERIAL_PREFIX = 'TWINBENCH-';
/** Stream category of the raw append baseline (not `device-`: neither projected nor relayed). */
export const RAW_STREAM_PREFIX = 'twinbenchraw-';

/** URL of `database` on the server of `url`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount === 0) {
      await admin.query(`create database ${database}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile
      });
      log(`created database ${database}`);
    }
  } finally {
    await admin.end();
  }
}

/** Where the bench keeps what it seeded: the data set's name and size, and when. */
const META = 'public.twin_bench_dataset';

export interface Dataset {
  readonly reused: boolean;
  readonly seededAt: string;
  /** Seeding time; null when reused. */
  readonly seedSeconds: number | null;
  readonly seedEventsPerSecond: number | null;
}

/** Reuses the seeded event store when it holds exactly the data set, else seeds it again. */
export async function ensureDataset(
  url: string,
  pool: Pool,
  store: PostgresEventStore,
  tables: TwinTables,
): Promise<Dataset> {
  await pool.query(`create table if not exists ${META} (
    name text primary key, devices integer not null, events integer not null, seeded_at timestamptz not null)`);
  const { rows } = await pool.query<{ devices: number; events: number; seeded_at: Date }>(
    `select devices, events, seeded_at from ${META} where name = $1`,
    [DATASET],
  );
  const meta = rows[0];
  if (meta && meta.devices === DEVICES && meta.events === DEVICES * EVENTS_PER_DEVICE) {
    const held = await deviceStreams(pool, store.schema);
    if (held.streams === DEVICES && held.events === DEVICES * EVENTS_PER_DEVICE) {
      log(
        `data set ${DATASET} reused: ${held.streams} devices, ${held.events} events (seeded ${meta.seeded_at.toISOString()})`,
      );
      return {
        reused: true,
        seededAt: meta.seeded_at.toISOString(),
        seedSeconds: null,
        seedEventsPerSecond: null,
      };
    }
    log(`data set ${DATASET} does not match (${held.streams} devices, ${held.events} events): seeding again`);
  }
  return seed(url, pool, store.schema, tables);
}

async function deviceStreams(pool: Pool, schema: string): Promise<{ streams: number; events: number }> {
  const { rows } = await pool.query<{ streams: number; events: string | null }>(
    `select count(*)::int as streams, sum(revision + 1) as events from ${schema}.streams where stream like 'device-%'`,
  );
  return { streams: rows[0]?.streams ?? 0, events: Number(rows[0]?.events ?? 0) };
}

/**
 * Appends every device's events in one append (expected `no_stream`), several at a time. The
 * seeding connections do not wait for the WAL flush (`synchronous_commit=off`): a crash loses at
 * most the last appends, and the data set check then finds it incomplete and seeds again.
 */
async function seed(url: string, pool: Pool, schema: string, tables: TwinTables): Promise<Dataset> {
  await pool.query(`delete from ${META}`);
  await pool.query(`drop schema if exists ${schema} cascade; drop schema if exists ${tables.schema} cascade`);
  const seedPool = new Pool({
    connectionString: url,
    max: SEED_WRITERS,
    options: '-c synchronous_commit=off',
    application_name: 'twin-bench-seed',
  });
  const store = await PostgresEventStore.create({ pool: seedPool, schema });
  const now = Date.now();
  const total = DEVICES * EVENTS_PER_DEVICE;
  log(
    `seeding ${DEVICES} devices x ${EVENTS_PER_DEVICE} events (${SEED_WRITERS} concurrent appends of one device each)`,
  );
  const start = process.hrtime.bigint();
  let done = 0;
  const devices = Array.from({ length: DEVICES }, (_, n) => n);
  try {
    await mapConcurrently(devices, SEED_WRITERS, async (n) => {
      const events = fleetDeviceEvents(DATASET, n, EVENTS_PER_DEVICE, now);
      await store.append(`device-${events[0]!.data['deviceId'] as string}`, events, 'no_stream');
      if (++done % (DEVICES / 10) === 0) {
        log(`  ${done} devices, ${Math.round((done * EVENTS_PER_DEVICE) / seconds(start))} events/s`);
      }
    });
  } finally {
    await store.close();
    await seedPool.end();
  }
  const took = seconds(start);
  const seededAt = new Date(now).toISOString();
  // Statistics and the visibility map, as autovacuum would leave them on a store this size.
  await pool.query(`vacuum analyze ${store.schema}.events, ${store.schema}.streams`);
  await pool.query(`insert into ${META} (name, devices, events, seeded_at) values ($1, $2, $3, $4)`, [
    DATASET,
    DEVICES,
    total,
    seededAt,
  ]);
  log(`seeded ${total} events in ${took.toFixed(1)} s (${Math.round(total / took)} events/s)`);
  return { reused: false, seededAt, seedSeconds: round(took), seedEventsPerSecond: Math.round(total / took) };
}

/**
 * Removes what runs add: the raw-append streams, bulk-provisioned devices (found through their
 * serial reservations) and `extraDevices`, from the event store and the twin tables.
 */
export async function removeRunData(
  pool: Pool,
  schema: string,
  tables: TwinTables,
  extraDevices: readonly string[],
): Promise<number> {
  const { rows: streams } = await pool.query<{ stream: string }>(
    `select stream from ${schema}.streams where stream like $1 or stream like $2`,
    [`${RAW_STREAM_PREFIX}%`, `serial-%/${BULK_SERIAL_PREFIX}%`],
  );
  const serialStreams = streams.map((s) => s.stream).filter((s) => s.startsWith('serial-'));
  const { rows: reserved } = await pool.query<{ device_id: string }>(
    `select distinct data->>'deviceId' as device_id from ${schema}.events where stream = any($1::text[])`,
    [serialStreams],
  );
  const deviceIds = [...new Set([...reserved.map((r) => r.device_id), ...extraDevices])];
  const all = [...streams.map((s) => s.stream), ...deviceIds.map((id) => `device-${id}`)];
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rowCount } = await client.query(`delete from ${schema}.events where stream = any($1::text[])`, [
      all,
    ]);
    await client.query(`delete from ${schema}.streams where stream = any($1::text[])`, [all]);
    for (const table of [tables.devices, tables.timeline, tables.snapshots, tables.connectivity]) {
      const { rows } = await client.query<{ exists: boolean }>(
        'select to_regclass($1) is not null as exists',
        [table],
      );
      if (rows[0]?.exists)
        await client.query(`delete from ${table} where device_id = any($1::text[])`, [deviceIds]);
    }
    await client.query('commit');
    return rowCount ?? 0;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
