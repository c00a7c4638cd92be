import type { Pool } from 'pg';
import type { TwinTables } from '../../apps/device-twin/src/devices/twin/twin-tables';
import {
  DeviceSearch,
  resolveTime,
  searchDevicesQuery,
  type DeviceSearchQuery,
} from '../../apps/device-twin/src/devices/search-devices';
import {
  countStatement,
  pageSegments,
  pageStatement,
  type Selection,
} from '../../apps/device-twin/src/devices/search-devices/search-sql';
import { fmt, latency, latencyOf, log, round, type Latency } from './timing';

const RUNS = 40;
const DEEP_PAGES = 20;
const DEEP_ROUNDS = 5;
export const SEARCH_TARGET_MS = 100;

/** Fills `connectivity` for every twin: last seen skewed towards now over 30 days, 2 % never heard from. */
export async function fillConnectivity(pool: Pool, tables: TwinTables): Promise<number> {
  await pool.query(`truncate ${tables.connectivity}`);
  const { rowCount } = await pool.query(
    `insert into ${tables.connectivity} (device_id, last_seen_at, battery_percent, rssi, snr, uplink_count,
       downlink_count, airtime_window_start, airtime_ms, updated_at)
     select device_id, now() - power(random(), 3) * interval '30 days',
       case when device_class = 'always-on' then null else round((random() * 100)::numeric, 1)::real end,
       round((-125 + random() * 70)::numeric, 1)::real, round((-15 + random() * 25)::numeric, 1)::real,
       (random() * 20000)::bigint, (random() * 200)::bigint, date_trunc('hour', now()), random() * 30000, now()
     from ${tables.devices}
     where random() >= 0.02`,
  );
  await pool.query(`vacuum analyze ${tables.connectivity}`);
  return rowCount ?? 0;
}

interface Shape {
  readonly name: string;
  /** Query string of `GET /devices`. */
  readonly query: Record<string, string>;
  /** The same filter as a plain `select count(*)` on the one table holding it. */
  readonly baseline: { readonly text: string; readonly values?: unknown[] };
}

export interface ShapeFigures extends Latency {
  readonly query: string;
  readonly total: number;
  readonly baselineP95: number;
  readonly ratio: number;
}

export interface SearchFigures {
  readonly devices: number;
  readonly connectivityRows: number;
  readonly shapes: Record<string, ShapeFigures>;
  readonly pkLookup: Latency;
  readonly worstP95: number;
  readonly worstShape: string;
}

function shapes(t: TwinTables, now: Date): Shape[] {
  const past = new Date(now.getTime() - 45 * 86_400_000).toISOString();
  return [
    {
      name: 'firmware',
      query: { firmware: '2.1.0' },
      baseline: { text: `select count(*) from ${t.devices} where firmware_version = $1`, values: ['2.1.0'] },
    },
    {
      name: 'tag',
      query: { tag: 'pilot' },
      baseline: { text: `select count(*) from ${t.devices} where tags @> $1::text[]`, values: [['pilot']] },
    },
    {
      name: 'statusBatteryBelow',
      query: { status: 'active', batteryBelow: '20' },
      baseline: { text: `select count(*) from ${t.connectivity} where battery_percent < 20` },
    },
    {
      name: 'lastSeenBefore',
      query: { lastSeenBefore: 'P7D' },
      baseline: {
        text: `select count(*) from ${t.connectivity} where last_seen_at < now() - interval '7 days'`,
      },
    },
    {
      name: 'sortLastSeenFirstPage',
      query: { sort: 'lastSeen', order: 'desc' },
      baseline: { text: `select count(*) from ${t.devices}` },
    },
    {
      name: 'pointInTimeFirmware',
      query: { at: past, firmware: '1.2.0' },
      baseline: {
        text: `select count(*) from ${t.timeline}
               where firmware_version = $1 and valid_from <= $2 and (valid_to is null or valid_to > $2)`,
        values: ['1.2.0', past],
      },
    },
  ];
}

const queryString = (query: Record<string, string>) => new URLSearchParams(query).toString();

/**
 * Latency of `DeviceSearch` (constructed directly on the pool, no HTTP) over the rebuilt twin:
 * one page and the total, as `GET /devices` answers; counts by status; a deep page reached by
 * following cursors. Each shape's baseline is its filter as a plain `count(*)` on one table.
 */
export async function measureSearch(
  pool: Pool,
  tables: TwinTables,
  explain: boolean,
): Promise<SearchFigures> {
  const search = new DeviceSearch(pool, tables);
  const now = new Date();
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from ${tables.devices}`);
  const devices = rows[0]?.n ?? 0;
  const connectivityRows = await fillConnectivity(pool, tables);
  log(`search over ${devices} twins (${connectivityRows} with connectivity), ${RUNS} runs per shape`);
  const result: Record<string, ShapeFigures> = {};
  const record = (name: string, query: string, total: number, l: Latency, baseline: Latency) => {
    result[name] = { query, total, ...l, baselineP95: baseline.p95, ratio: round(l.p95 / baseline.p95, 2) };
    log(
      `  ${name.padEnd(24)} ${fmt(l)}  total ${String(total).padStart(6)}  baseline p95 ${baseline.p95.toFixed(1)} ms  ${query}`,
    );
  };
  for (const shape of shapes(tables, now)) {
    const query = searchDevicesQuery.parse(shape.query);
    const l = await latency(RUNS, () => search.search(query));
    const baseline = await latency(RUNS, () => pool.query(shape.baseline.text, shape.baseline.values));
    const { total } = await search.search(query);
    record(shape.name, queryString(shape.query), total, l, baseline);
    if (explain || l.p95 >= SEARCH_TARGET_MS) await explainSearch(pool, tables, shape.name, query, now);
  }

  // A deep page: follow the cursor of `sort=lastSeen&order=desc` for 20 pages of 50; every page is a sample.
  const deepQuery = { sort: 'lastSeen', order: 'desc' };
  const pages: number[] = [];
  const lastPages: number[] = [];
  let deepTotal = 0;
  for (let round = 0; round < DEEP_ROUNDS; round++) {
    let cursor: string | null = null;
    for (let page = 0; page < DEEP_PAGES; page++) {
      const query = searchDevicesQuery.parse({ ...deepQuery, ...(cursor ? { cursor } : {}) });
      const start = process.hrtime.bigint();
      const answer = await search.search(query);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      pages.push(ms);
      if (page === DEEP_PAGES - 1) lastPages.push(ms);
      deepTotal = answer.total;
      cursor = answer.nextCursor;
      if (!cursor) throw new Error(`deep paging ended after ${page + 1} pages`);
    }
  }
  const countAll = await latency(RUNS, () => pool.query(`select count(*) from ${tables.devices}`));
  record(
    'deepPageCursor',
    `${queryString(deepQuery)} (${DEEP_PAGES} pages x ${DEEP_ROUNDS})`,
    deepTotal,
    latencyOf(pages),
    countAll,
  );
  log(`  ${'  20th page alone'.padEnd(24)} ${fmt(latencyOf(lastPages))}`);

  const all = searchDevicesQuery.parse({});
  const counts = await latency(RUNS, () => search.counts(all, 'status'));
  const countsBaseline = await latency(RUNS, () =>
    pool.query(`select status, count(*) from ${tables.devices} group by status`),
  );
  const statusCounts = await search.counts(all, 'status');
  record('countsByStatus', 'by=status', statusCounts.total, counts, countsBaseline);

  const ids = (await pool.query<{ device_id: string }>(`select device_id from ${tables.devices} limit 1000`))
    .rows;
  let i = 0;
  const pkLookup = await latency(RUNS, () =>
    pool.query(`select view from ${tables.devices} where device_id = $1`, [ids[i++ % ids.length]!.device_id]),
  );
  log(`  ${'primary-key lookup'.padEnd(24)} ${fmt(pkLookup)}`);
  const worst = Object.entries(result).sort(([, a], [, b]) => b.p95 - a.p95)[0]!;
  return {
    devices,
    connectivityRows,
    shapes: result,
    pkLookup,
    worstP95: worst[1].p95,
    worstShape: worst[0],
  };
}

/** `explain analyze` of the statements a search runs, on stderr. */
async function explainSearch(
  pool: Pool,
  tables: TwinTables,
  name: string,
  query: DeviceSearchQuery,
  now: Date,
): Promise<void> {
  const selection: Selection = {
    filters: [query.filter],
    at: query.at === null ? null : resolveTime(query.at, now),
    now,
    tenant: null,
  };
  const statements = [
    ...pageSegments(query.sort, query.after).map((segment) =>
      pageStatement(tables, selection, { ...query, limit: query.limit + 1 }, segment),
    ),
    countStatement(tables, selection),
  ];
  for (const statement of statements) {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>({
      text: `explain (analyze, buffers, costs off) ${statement.text}`,
      values: statement.values,
    });
    log(`-- explain ${name}\n${statement.text}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
  }
}
