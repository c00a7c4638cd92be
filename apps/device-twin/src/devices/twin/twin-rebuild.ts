import type { EventStore, GlobalPosition, RecordedEvent } from '@fleet/event-store';
import type { Pool, PoolClient } from 'pg';
import { applyEvents, timelineRow, writeSnapshots, type TimelineRow } from './postgres-twin.store';
import { copyPeriods, copyViews } from './twin-copy';
import {
  SNAPSHOT_INTERVAL,
  TWIN_WRITE_LOCK,
  rebuildableIndexesByTable,
  rebuildableTablesSql,
  twinSchemaSql,
  twinTables,
  type TwinTables,
} from './twin-tables';
import { evolveTwin, timelineChanged, type TwinView } from './twin-view';

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
  /** Seconds per phase: read and fold, COPY, keys + indexes + vacuum, catch-up + compare + swap. */
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
  /** Events per read; default 10,000. */
  readonly pageSize?: number;
  /** Compare with the live tables but keep them (dry run). */
  readonly swap?: boolean;
  /** Count rows that differ from the live tables; default: only in a dry run (it holds the lock longer). */
  readonly verify?: boolean;
}

/**
 * Rebuilds the twin read model from the event store into new tables and swaps them in. The bulk
 * of the work runs beside the live projection; the last step takes the twin write lock
 * exclusively (the projection takes it shared for each batch), applies what was appended
 * meanwhile, counts how the live tables differ, and renames the tables in one transaction.
 */
export async function rebuildTwin(options: RebuildOptions): Promise<RebuildReport> {
  const started = performance.now();
  const live = options.tables ?? twinTables();
  const next = twinTables(live.schema, '_next');
  const swap = options.swap ?? true;
  const verify = options.verify ?? !swap;
  await options.pool.query(twinSchemaSql(live));
  await options.pool.query(`drop table if exists ${next.devices}, ${next.timeline}, ${next.snapshots}`);
  await options.pool.query(rebuildableTablesSql(next, { keys: false }));

  const mark = phaseTimer();
  const folded = await foldAll(options.store, options.pageSize ?? 10_000);
  const fold = mark();
  const [devicesClient, secondClient, timelineClient] = await Promise.all([
    options.pool.connect(),
    options.pool.connect(),
    options.pool.connect(),
  ]);
  try {
    // Three connections, so that PostgreSQL parses the twins' JSON and the periods side by side.
    const views = [...folded.views.values()];
    const half = Math.ceil(views.length / 2);
    await settleAll([
      copyViews(devicesClient, next, views.slice(0, half)),
      copyViews(secondClient, next, views.slice(half)),
      copyPeriods(timelineClient, next, folded.timeline),
    ]);
    const load = mark();
    // Each table's keys, indexes and vacuum on its own connection, side by side.
    const indexes = rebuildableIndexesByTable(next, { keys: true });
    await settleAll([
      devicesClient
        .query(indexes.devices)
        .then(() => devicesClient.query(`vacuum (analyze) ${next.devices}`)),
      timelineClient
        .query(indexes.timeline)
        .then(() => timelineClient.query(`vacuum (analyze) ${next.timeline}`)),
      secondClient.query(indexes.snapshots).then(async () => {
        for (let i = 0; i < folded.snapshots.length; i += 500) {
          await writeSnapshots(secondClient, next, folded.snapshots.slice(i, i + 500));
        }
      }),
    ]);
    const index = mark();

    const client = devicesClient;
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(${TWIN_WRITE_LOCK})`);
    const caughtUpEvents = await catchUp(client, options.store, next, folded.position);
    const differences = verify ? await compare(client, live, next) : null;
    if (swap) await swapTables(client, live, next);
    await client.query('commit');
    if (!swap)
      await options.pool.query(`drop table if exists ${next.devices}, ${next.timeline}, ${next.snapshots}`);
    const seconds = (performance.now() - started) / 1000;
    const events = folded.events + caughtUpEvents;
    return {
      events,
      devices: folded.views.size,
      timelinePeriods: folded.timeline.length,
      caughtUpEvents,
      differences,
      seconds,
      eventsPerSecond: Math.round(events / seconds),
      swapped: swap,
      phases: { fold, load, index, swap: mark() },
    };
  } catch (error) {
    await devicesClient.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    devicesClient.release();
    secondClient.release();
    timelineClient.release();
  }
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

/**
 * Reads every device event once and folds it in memory with the projection's own fold; the next
 * page is fetched while the current one is folded.
 */
async function foldAll(store: EventStore, pageSize: number) {
  const views = new Map<string, TwinView>();
  const timeline: TimelineRow[] = [];
  const snapshots: TwinView[] = [];
  const open = new Map<string, TimelineRow>();
  const read = (after: GlobalPosition | undefined) =>
    store.readAll({ streamPrefixes: ['device-'], maxCount: pageSize, ...(after ? { after } : {}) });
  let position: GlobalPosition | undefined;
  let events = 0;
  let pending = read(undefined);
  for (;;) {
    const page = await pending;
    position = page.at(-1)?.position ?? position;
    const more = page.length === pageSize;
    if (more) pending = read(position);
    for (const event of page) {
      const deviceId = event.stream.slice('device-'.length);
      const before = views.get(deviceId);
      const after = evolveTwin(before, event);
      if (!after || after === before) continue;
      views.set(deviceId, after);
      if (after.version % SNAPSHOT_INTERVAL === 0) snapshots.push(after);
      if (!timelineChanged(before, after)) continue;
      const previous = open.get(deviceId);
      if (previous) previous.validTo = event.metadata.occurredAt;
      const period = timelineRow(after, event.metadata.occurredAt);
      timeline.push(period);
      open.set(deviceId, period);
    }
    events += page.length;
    if (!more) return { views, timeline, snapshots, position, events };
  }
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
