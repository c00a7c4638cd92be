import type { EventStore, GlobalPosition, RecordedEvent } from '@fleet/event-store';
import type { Pool, PoolClient } from 'pg';
import { applyEvents, insertPeriods, writeViews, type TimelineRow } from './postgres-twin.store';
import {
  TWIN_WRITE_LOCK,
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
  readonly differences: { readonly devices: number; readonly timeline: number };
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly swapped: boolean;
}

export interface RebuildOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  /** Live tables; the rebuild fills `<table>_next` beside them. */
  readonly tables?: TwinTables;
  /** Events per read; default 10,000. */
  readonly pageSize?: number;
  /** Rows per insert statement; default 2,000. */
  readonly writeSize?: number;
  /** Compare with the live tables but keep them (dry run). */
  readonly swap?: boolean;
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
  await options.pool.query(twinSchemaSql(live));
  await options.pool.query(`drop table if exists ${next.devices}, ${next.timeline}`);
  await options.pool.query(rebuildableTablesSql(next));

  const folded = await foldAll(options.store, options.pageSize ?? 10_000);
  const writeSize = options.writeSize ?? 2_000;
  const client = await options.pool.connect();
  try {
    const views = [...folded.views.values()];
    for (let i = 0; i < views.length; i += writeSize)
      await writeViews(client, next, views.slice(i, i + writeSize));
    for (let i = 0; i < folded.timeline.length; i += writeSize) {
      await insertPeriods(client, next, folded.timeline.slice(i, i + writeSize));
    }
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(${TWIN_WRITE_LOCK})`);
    const caughtUpEvents = await catchUp(client, options.store, next, folded.position);
    const differences = await compare(client, live, next);
    const swap = options.swap ?? true;
    if (swap) await swapTables(client, live, next);
    await client.query('commit');
    if (!swap) await options.pool.query(`drop table if exists ${next.devices}, ${next.timeline}`);
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
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Reads every device event once and folds it in memory with the projection's own fold. */
async function foldAll(store: EventStore, pageSize: number) {
  const views = new Map<string, TwinView>();
  const timeline: TimelineRow[] = [];
  const open = new Map<string, TimelineRow>();
  let position: GlobalPosition | undefined;
  let events = 0;
  for (;;) {
    const page = await store.readAll({
      streamPrefixes: ['device-'],
      maxCount: pageSize,
      ...(position ? { after: position } : {}),
    });
    for (const event of page) {
      const deviceId = event.stream.slice('device-'.length);
      const before = views.get(deviceId);
      const after = evolveTwin(before, event);
      if (!after || after === before) continue;
      views.set(deviceId, after);
      if (!timelineChanged(before, after)) continue;
      const previous = open.get(deviceId);
      if (previous) previous.validTo = event.metadata.occurredAt;
      const period: TimelineRow = { view: after, validFrom: event.metadata.occurredAt, validTo: null };
      timeline.push(period);
      open.set(deviceId, period);
    }
    events += page.length;
    position = page.at(-1)?.position ?? position;
    if (page.length < pageSize) return { views, timeline, position, events };
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

async function compare(client: PoolClient, live: TwinTables, next: TwinTables) {
  const differing = async (a: string, b: string, columns: string) => {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from ((select ${columns} from ${a} except select ${columns} from ${b})
         union all (select ${columns} from ${b} except select ${columns} from ${a})) d`,
    );
    return Number(rows[0]?.n ?? 0);
  };
  return {
    devices: await differing(live.devices, next.devices, 'device_id, version, view'),
    timeline: await differing(
      live.timeline,
      next.timeline,
      'device_id, version, valid_from, valid_to, firmware_version, status, tags',
    ),
  };
}

async function swapTables(client: PoolClient, live: TwinTables, next: TwinTables): Promise<void> {
  const name = (qualified: string) => qualified.slice(live.schema.length + 1);
  for (const [current, rebuilt] of [
    [live.devices, next.devices],
    [live.timeline, next.timeline],
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
