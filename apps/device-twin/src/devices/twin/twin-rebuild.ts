import {
  PostgresEventStore,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@fleet/event-store';
import type { Pool, PoolClient } from 'pg';
import { applyEvents, timelineRow, writeSnapshots, type TimelineRow } from './postgres-twin.store';
import { CopyIn, copyPeriodsStatement, copyViewsStatement, deviceLine, timelineLine } from './twin-copy';
import {
  SNAPSHOT_INTERVAL,
  TWIN_WRITE_LOCK,
  rebuildableIndexStatements,
  rebuildableKeys,
  rebuildableTablesByTable,
  twinSchemaSql,
  twinTables,
  type TwinTables,
} from './twin-tables';
import { evolveTwin, timelineChanged, type TwinEvent, type TwinView } from './twin-view';

export interface RebuildReport {
  readonly events: number;
  readonly devices: number;
  readonly timelinePeriods: number;
  /** Events applied under the lock, after the bulk read, so that nothing is missed at the swap. */
  readonly caughtUpEvents: number;
  /** Rows of the live tables that differ from the rebuilt ones (0 when the projection is healthy). */
  readonly differences: { readonly devices: number; readonly timeline: number } | null;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly swapped: boolean;
  /**
   * Seconds per phase: `fold` reads and folds every event while the rows stream into COPY,
   * `load` waits for the COPY to store the last rows, `index` builds keys and indexes, analyses and
   * commits the new tables, `swap` catches up, compares and swaps under the lock.
   */
  readonly phases: {
    readonly fold: number;
    readonly load: number;
    readonly index: number;
    readonly swap: number;
  };
}

export interface RebuildOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  /** Live tables; the rebuild fills `<table>_next` beside them. */
  readonly tables?: TwinTables;
  /**
   * How to read the events: `bulk` (PostgreSQL store only, its default) reads them stream by
   * stream in one COPY, so that each twin is written as soon as its stream ends; `pages` reads
   * the log in its order with `readAll` (any store) and writes the twins after the last event.
   */
  readonly read?: 'bulk' | 'pages';
  /** Events per `readAll` with `read: 'pages'`; default 10,000. */
  readonly pageSize?: number;
  /** Compare with the live tables but keep them (dry run). */
  readonly swap?: boolean;
  /** Count rows that differ from the live tables; default: only in a dry run (it holds the lock longer). */
  readonly verify?: boolean;
}

/**
 * Settings of the rebuild's transactions (`set local`, so nothing stays on the pool's connections).
 * They commit without waiting for their WAL to reach disk: the swap's commit comes later in the WAL
 * and waits for all of it, and a crash before the swap only loses `_next` tables. Each index build
 * gets enough memory to sort in memory and no parallel workers: the rebuild already builds on as
 * many connections as the machine has cores to spare.
 */
const REBUILD_SETTINGS =
  "set local synchronous_commit = off; set local maintenance_work_mem = '128MB'; " +
  'set local max_parallel_maintenance_workers = 0;';

/** Connections the rebuild uses beside the bulk read: one per table while loading, all three for indexes. */
const CONNECTIONS = 3;

/**
 * Rebuilds the twin read model from the event store into new tables and swaps them in. The bulk
 * of the work runs beside the live projection: each new table is created and filled with
 * `COPY ... FREEZE` while the events are folded (no vacuum needed afterwards), keyed, analysed and
 * committed in one transaction on its own connection; then the secondary indexes are built on all
 * the connections side by side. The last step takes the twin write lock exclusively (the projection
 * takes it shared for each batch), applies what was appended meanwhile, counts how the live tables
 * differ, and renames the tables in one transaction.
 */
export async function rebuildTwin(options: RebuildOptions): Promise<RebuildReport> {
  const started = performance.now();
  const { pool } = options;
  const live = options.tables ?? twinTables();
  const next = twinTables(live.schema, '_next');
  const swap = options.swap ?? true;
  const verify = options.verify ?? !swap;
  await pool.query(twinSchemaSql(live));
  // Left by a rebuild that died between committing its tables and swapping them in.
  await pool.query(`drop table if exists ${next.devices}, ${next.timeline}, ${next.snapshots}`);
  const lz4 = await supportsLz4(pool);

  const mark = phaseTimer();
  const clients = await connectAll(pool, CONNECTIONS);
  const [devicesClient, timelineClient, snapshotsClient] = clients as [PoolClient, PoolClient, PoolClient];
  const sinks: CopyIn[] = [];
  try {
    const tables = rebuildableTablesByTable(next, { keys: false });
    const keys = rebuildableKeys(next);
    // Views compress several times faster with lz4 than with the default pglz, as small.
    const compressed = (table: string) =>
      lz4 ? `alter table ${table} alter column view set compression lz4;` : '';
    const begin = `begin; ${REBUILD_SETTINGS}`;
    await settleAll([
      devicesClient.query(`${begin} ${tables.devices} ${compressed(next.devices)}`),
      timelineClient.query(`${begin} ${tables.timeline}`),
      snapshotsClient.query(`${begin} ${tables.snapshots} ${compressed(next.snapshots)} ${keys.snapshots}`),
    ]);
    const devices = new CopyIn(devicesClient, copyViewsStatement(next, { freeze: true }));
    sinks.push(devices);
    const timeline = new CopyIn(timelineClient, copyPeriodsStatement(next, { freeze: true }));
    sinks.push(timeline);

    const source = await openSource(options);
    const folded = await foldInto(source, devices, timeline);
    const fold = mark();
    // Rows arrive sorted by key (read by stream), so the keys build fast; COPY FREEZE left the
    // pages all-visible, so statistics are all a vacuum would have added.
    await settleAll([
      devices.end().then(() => devicesClient.query(`${keys.devices}; analyze ${next.devices}; commit`)),
      timeline.end().then(() => timelineClient.query(`${keys.timeline}; analyze ${next.timeline}; commit`)),
      (async () => {
        for (let i = 0; i < folded.snapshots.length; i += 500) {
          await writeSnapshots(snapshotsClient, next, folded.snapshots.slice(i, i + 500));
        }
        await snapshotsClient.query('commit');
      })(),
    ]);
    const load = mark();

    // Secondary indexes, the larger table's first, each in its own transaction, on every connection.
    const indexes = rebuildableIndexStatements(next, { keys: false });
    const queue = [...indexes.timeline, ...indexes.devices, ...indexes.snapshots];
    await settleAll(
      clients.map(async (client) => {
        for (let statement = queue.shift(); statement; statement = queue.shift()) {
          await client.query(`${begin} ${statement}; commit`).catch((error: unknown) => {
            queue.length = 0; // the other connections stop after their current statement
            throw error;
          });
        }
      }),
    );
    const index = mark();

    const client = devicesClient;
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(${TWIN_WRITE_LOCK})`);
    const caughtUpEvents = await catchUp(client, options.store, next, source.end());
    const differences = verify ? await compare(client, live, next) : null;
    if (swap) await swapTables(client, live, next);
    await client.query('commit');
    if (!swap) await pool.query(`drop table if exists ${next.devices}, ${next.timeline}, ${next.snapshots}`);
    const seconds = (performance.now() - started) / 1000;
    const events = folded.events + caughtUpEvents;
    for (const c of clients) c.release();
    return {
      events,
      devices: folded.devices,
      timelinePeriods: folded.periods,
      caughtUpEvents,
      differences,
      seconds,
      eventsPerSecond: Math.round(events / seconds),
      swapped: swap,
      phases: { fold, load, index, swap: mark() },
    };
  } catch (error) {
    // Closing the connections rolls back whatever they had not committed (`_next` tables before
    // their commit, the swap).
    for (const sink of sinks) sink.abort();
    for (const c of clients) c.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** `count` connections of the pool, or none: those already taken go back when one fails. */
async function connectAll(pool: Pool, count: number): Promise<PoolClient[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  const clients = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return clients;
  for (const client of clients) client.release();
  throw failed.reason;
}

/** Whether the server can compress with lz4 (it lists the value only when built with it). */
async function supportsLz4(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ lz4: boolean }>(
    `select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`,
  );
  return rows[0]?.lz4 === true;
}

/**
 * Like Promise.all, but waits for every statement to finish before failing, so that no connection
 * goes back to the pool with a statement still running.
 */
async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failed) throw failed.reason;
}

/** Seconds since the previous call (or creation). */
function phaseTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = Math.round(now - last) / 1000;
    last = now;
    return seconds;
  };
}

interface Source {
  /** Each stream's events come together (and in order), so a twin is final when its stream ends. */
  readonly byStream: boolean;
  readonly batches: AsyncIterable<readonly (TwinEvent & { readonly stream: string })[]>;
  /** Where the read ended, once it has; the catch-up continues from there. */
  end(): GlobalPosition | undefined;
}

async function openSource(options: RebuildOptions): Promise<Source> {
  const { store } = options;
  if (store instanceof PostgresEventStore && options.read !== 'pages') {
    const bulk = await store.readInBulk({ streamPrefixes: ['device-'], order: 'stream' });
    return { byStream: true, batches: bulk.batches, end: () => bulk.position };
  }
  const pageSize = options.pageSize ?? 10_000;
  let position: GlobalPosition | undefined;
  const read = (after: GlobalPosition | undefined) =>
    store.readAll({ streamPrefixes: ['device-'], maxCount: pageSize, ...(after ? { after } : {}) });
  // The next page is fetched while the current one is folded.
  async function* pages(): AsyncGenerator<RecordedEvent[]> {
    let pending = read(undefined);
    for (;;) {
      const page = await pending;
      position = page.at(-1)?.position ?? position;
      const more = page.length === pageSize;
      if (more) pending = read(position);
      yield page;
      if (!more) return;
    }
  }
  return { byStream: false, batches: pages(), end: () => position };
}

/** A device being folded: its twin so far and its timeline period still open. */
interface Folding {
  view: TwinView | undefined;
  period: TimelineRow | undefined;
}

/**
 * Folds every event with the projection's own fold and streams the rows into the COPYs: a period
 * as soon as the next one starts, a twin when its stream ends (read by stream) or after the last
 * event (read in the log's order, which keeps every twin in memory until then).
 */
async function foldInto(source: Source, devices: CopyIn, timeline: CopyIn) {
  const snapshots: TwinView[] = [];
  const folding = new Map<string, Folding>();
  let events = 0;
  let twins = 0;
  let periods = 0;
  const finish = (device: Folding) => {
    if (!device.view) return;
    devices.push(deviceLine(device.view));
    twins++;
    if (device.period) {
      timeline.push(timelineLine(device.period));
      periods++;
    }
  };
  const flush = () => Promise.all([devices.flush(), timeline.flush()]);
  let stream: string | undefined;
  let current: Folding = { view: undefined, period: undefined };
  for await (const batch of source.batches) {
    for (const event of batch) {
      if (event.stream !== stream) {
        stream = event.stream;
        if (source.byStream) {
          finish(current);
          current = { view: undefined, period: undefined };
        } else {
          current = folding.get(stream) ?? { view: undefined, period: undefined };
          folding.set(stream, current);
        }
      }
      const before = current.view;
      const after = evolveTwin(before, event);
      if (!after || after === before) continue;
      current.view = after;
      if (after.version % SNAPSHOT_INTERVAL === 0) snapshots.push(after);
      if (!timelineChanged(before, after)) continue;
      const at = event.metadata.occurredAt;
      if (current.period) {
        current.period.validTo = at;
        timeline.push(timelineLine(current.period));
        periods++;
      }
      current.period = timelineRow(after, at);
    }
    events += batch.length;
    await flush();
  }
  if (source.byStream) finish(current);
  let n = 0;
  for (const device of folding.values()) {
    finish(device);
    if (++n % 1_000 === 0) await flush();
  }
  return { events, devices: twins, periods, snapshots };
}

async function catchUp(
  client: PoolClient,
  store: EventStore,
  tables: TwinTables,
  after: GlobalPosition | undefined,
): Promise<number> {
  let count = 0;
  let position = after;
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({
      streamPrefixes: ['device-'],
      maxCount: 1_000,
      ...(position ? { after: position } : {}),
    });
    if (page.length === 0) return count;
    await applyEvents(client, tables, page);
    count += page.length;
    position = page.at(-1)?.position;
  }
}

/** Rows that differ between the live and the rebuilt tables, compared by key. */
async function compare(client: PoolClient, live: TwinTables, next: TwinTables) {
  const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  return {
    devices: await count(
      `select count(*) as n from ${live.devices} l full join ${next.devices} r using (device_id)
       where l.version is distinct from r.version or l.view is distinct from r.view`,
    ),
    timeline: await count(
      `select count(*) as n from ${live.timeline} l full join ${next.timeline} r using (device_id, version)
       where (l.valid_from, l.valid_to, l.firmware_version, l.status, l.tags, l.serial, l.model, l.region)
         is distinct from (r.valid_from, r.valid_to, r.firmware_version, r.status, r.tags, r.serial, r.model, r.region)`,
    ),
  };
}

async function swapTables(client: PoolClient, live: TwinTables, next: TwinTables): Promise<void> {
  const name = (qualified: string) => qualified.slice(live.schema.length + 1);
  for (const [current, rebuilt] of [
    [live.devices, next.devices],
    [live.timeline, next.timeline],
    [live.snapshots, next.snapshots],
  ] as const) {
    await client.query(`drop table ${current}`);
    await client.query(`alter table ${rebuilt} rename to ${name(current)}`);
    // Index names carry the table's name; give them the live names so the next rebuild can reuse `_next`.
    const { rows } = await client.query<{ indexname: string }>(
      `select indexname from pg_indexes where schemaname = $1 and tablename = $2`,
      [live.schema, name(current)],
    );
    for (const { indexname } of rows) {
      const renamed = indexname.replace(`${name(rebuilt)}`, name(current));
      if (renamed !== indexname)
        await client.query(`alter index ${live.schema}.${indexname} rename to ${renamed}`);
    }
  }
}
