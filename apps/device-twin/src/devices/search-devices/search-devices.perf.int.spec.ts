import { writeFileSync } from 'node:fs';
import { createTestSchema } from '@fleet/testing';
import type { Pool } from 'pg';
import { twinSchemaSql, twinTables, type TwinTables } from '../twin/twin-tables';
import { searchDevicesQuery, type DeviceSearchQuery } from './device-query';
import { DeviceSearch } from './device-search';
import { encodeCursor } from './search-cursor';
import { countStatement, pageSegments, pageStatement, type Selection } from './search-sql';

/**
 * Search latency over a generated fleet of 100,000 devices (docs/search.md, "Performance").
 * Opt-in, it takes a minute:
 *
 *   SEARCH_PERF=1 npx jest --selectProjects int --testPathPatterns search-devices.perf
 *
 * SEARCH_PERF_INDEXES=none measures the indexes of twin-tables.ts alone (default: with
 * RECOMMENDED_INDEXES); SEARCH_PERF_VACUUM=0 skips the vacuum after the bulk load (no index-only
 * scans); SEARCH_PERF_EXPLAIN=<file> writes `explain analyze` of every statement;
 * SEARCH_PERF_DEVICES overrides the fleet size.
 */
const enabled = process.env['SEARCH_PERF'] === '1';
const DEVICES = Number(process.env['SEARCH_PERF_DEVICES'] ?? 100_000);
const RUNS = 60;
const DEEP = 5_000;

/**
 * Indexes this suite recommends for twin-tables.ts (docs/search.md): each filter index ends in
 * `device_id` (index-only counts and joins, keyset order without a sort), and the timeline gets
 * the indexes point-in-time queries need. They replace the single-column ones.
 */
export const RECOMMENDED_INDEXES = (t: TwinTables) => `
drop index if exists ${t.schema}.devices_status, ${t.schema}.devices_firmware, ${t.schema}.devices_region,
  ${t.schema}.devices_serial, ${t.schema}.devices_model, ${t.schema}.connectivity_last_seen,
  ${t.schema}.connectivity_battery;
create index if not exists devices_status_id on ${t.devices} (status, device_id);
create index if not exists devices_firmware_id on ${t.devices} (firmware_version, device_id);
create index if not exists devices_region_id on ${t.devices} (region, device_id);
create index if not exists devices_serial_id on ${t.devices} (serial, device_id);
create index if not exists devices_model_id on ${t.devices} (manufacturer, model, device_id);
create index if not exists connectivity_last_seen_id on ${t.connectivity} (last_seen_at, device_id);
create index if not exists connectivity_battery_id on ${t.connectivity} (battery_percent, device_id);
create index if not exists timeline_serial_id on ${t.timeline} (serial, device_id);
create index if not exists timeline_tags on ${t.timeline} using gin (tags);`;

/**
 * A fleet like production's: ~1.6 kB twins (configuration and its metadata), 4 manufacturers,
 * 10 models, 10 firmware versions (skewed), 80 % active, 1-4 tags of 250, connectivity for 99 %
 * (last seen skewed towards now over 30 days; battery for battery-powered classes), and three
 * timeline periods per device.
 */
const fillSql = (t: TwinTables, devices: number) => `
insert into ${t.devices} (device_id, tenant, serial, manufacturer, model, firmware_version, status, region,
  device_class, tags, expected_interval_s, version, provisioned_at, updated_at, view)
select id, 'default', serial, manufacturer, model, firmware, status, region, kind, tags, interval_s, version,
  provisioned_at, updated_at,
  jsonb_build_object(
    'deviceId', id, 'tenant', 'default', 'serial', serial, 'manufacturer', manufacturer, 'model', model,
    'hardwareRevision', 'B', 'firmwareVersion', firmware,
    'deviceClass', jsonb_build_object('kind', kind, 'wakeIntervalSeconds', null,
      'lorawanClass', case when kind = 'lorawan' then 'A' end,
      'devEui', case when kind = 'lorawan' then upper(substr(md5(id), 1, 16)) end),
    'region', region, 'tags', to_jsonb(tags),
    'attributes', jsonb_build_object('site', 'site-' || (i % 500), 'floor', (i % 7)::text),
    'status', status, 'statusReason', null, 'statusChangedAt', updated_at,
    'credential', jsonb_build_object('type', 'secret', 'certificateFingerprint', null,
      'certificateNotAfter', null, 'kekId', null, 'issuedAt', provisioned_at, 'revoked', status = 'decommissioned'),
    'desired', jsonb_build_object('application.reportingIntervalSeconds', interval_s,
      'application.destination', 'mqtt://ingest/' || (i % 10)),
    'reported', jsonb_build_object('application.reportingIntervalSeconds', interval_s,
      'application.destination', 'mqtt://ingest/' || (i % 10)),
    'metadata', jsonb_build_object(
      'desired', jsonb_build_object('application.reportingIntervalSeconds', jsonb_build_object(
        'updatedAt', updated_at, 'updatedBy', 'alice', 'correlationId', md5(id || 'c'), 'jobId', null, 'version', 2)),
      'reported', jsonb_build_object('application.reportingIntervalSeconds', jsonb_build_object(
        'updatedAt', updated_at, 'updatedBy', id, 'correlationId', md5(id || 'r'), 'jobId', null, 'version', 3))),
    'version', version, 'provisionedAt', provisioned_at, 'provisionedBy', 'alice',
    'updatedAt', updated_at, 'updatedBy', 'alice')
from (
  select i, format('dev-%s', lpad(i::text, 6, '0')) as id,
    format('SN-%s', upper(substr(md5(i::text), 1, 10))) as serial,
    (array['Acme','Globex','Initech','Umbrella'])[1 + i % 4] as manufacturer,
    (array['WM-200','WM-300','GM-10','TH-1','TH-2','PX-9','LX-5','LX-7','AQ-3','AQ-4'])[1 + (i / 7) % 10] as model,
    case when i % 1000 = 0 then null else (array['1.0.0','1.1.0','1.2.0','1.2.1','1.3.0','2.0.0','2.0.1',
      '2.1.0','2.2.0','3.0.0-rc1'])[1 + floor(power(random(), 0.7) * 10)::int % 10] end as firmware,
    case when r < 0.80 then 'active' when r < 0.88 then 'provisioned' when r < 0.93 then 'suspended'
      when r < 0.95 then 'quarantined' else 'decommissioned' end as status,
    case when i % 10 = 0 then null when i % 10 < 6 then 'EU868' when i % 10 < 9 then 'US915' else 'AS923' end
      as region,
    (array['always-on','sleepy','lorawan'])[1 + i % 3] as kind,
    array_remove(array[format('site-%s', i % 200),
      case when i % 3 = 0 then 'water' when i % 3 = 1 then 'gas' else 'heat' end,
      case when i % 50 = 0 then 'pilot' end, case when i % 7 = 0 then format('batch-%s', i % 40) end], null) as tags,
    (array[300, 900, 3600])[1 + i % 3] as interval_s,
    3 + i % 5 as version,
    timestamptz '2024-01-01' + (i * interval '5 minutes') as provisioned_at,
    timestamptz '2025-06-01' + (random() * interval '300 days') as updated_at
  from (select i, random() as r from generate_series(1, ${devices}) i) s
) x;
insert into ${t.connectivity} (device_id, last_seen_at, battery_percent, rssi, snr, uplink_count, downlink_count,
  airtime_window_start, airtime_ms)
select device_id, now() - (power(random(), 3) * interval '30 days'),
  case when device_class = 'always-on' then null else round((random() * 100)::numeric, 1)::real end,
  -120 + random() * 60, -10 + random() * 20, (random() * 10000)::bigint, (random() * 100)::bigint,
  date_trunc('hour', now()), random() * 30000
from ${t.devices} where right(device_id, 2) <> '07';
insert into ${t.timeline} (device_id, version, valid_from, valid_to, serial, manufacturer, model, firmware_version,
  status, region, tags)
select device_id, 1, provisioned_at, provisioned_at + interval '1 day', serial, manufacturer, model, '1.0.0',
  'provisioned', region, tags from ${t.devices}
union all
select device_id, 2, provisioned_at + interval '1 day', updated_at - interval '10 days', serial, manufacturer, model,
  '1.1.0', 'active', region, tags from ${t.devices}
union all
select device_id, version, updated_at - interval '10 days', null, serial, manufacturer, model, firmware_version,
  status, region, tags from ${t.devices};`;

/** Query shapes measured; `target` ones must meet p95 < 100 ms. */
const SHAPES: { name: string; query: Record<string, string | string[]>; target: boolean }[] = [
  { name: 'firmware=1.2.0', query: { firmware: '1.2.0' }, target: true },
  { name: 'tag=pilot', query: { tag: 'pilot' }, target: true },
  { name: 'tag=water&tag=site-42', query: { tag: ['water', 'site-42'] }, target: true },
  { name: 'status=active&batteryBelow=20', query: { status: 'active', batteryBelow: '20' }, target: true },
  { name: 'lastSeenBefore=P7D', query: { lastSeenBefore: 'P7D' }, target: true },
  {
    name: 'lastSeenBefore=P7D&sort=lastSeen&order=desc',
    query: { lastSeenBefore: 'P7D', sort: 'lastSeen', order: 'desc' },
    target: true,
  },
  { name: 'sort=lastSeen', query: { sort: 'lastSeen' }, target: true },
  { name: 'status=active&sort=battery', query: { status: 'active', sort: 'battery' }, target: true },
  {
    name: 'sort=lastSeen, page in the never-seen tail',
    query: {
      sort: 'lastSeen',
      cursor: encodeCursor('lastSeen', 'asc', { value: null, deviceId: 'dev-050000' }),
    },
    target: true,
  },
  {
    name: 'sort=battery&order=desc, page in the no-battery tail',
    query: {
      sort: 'battery',
      order: 'desc',
      cursor: encodeCursor('battery', 'desc', { value: null, deviceId: 'dev-050000' }),
    },
    target: true,
  },
  { name: 'sort=serial', query: { sort: 'serial' }, target: true },
  { name: 'sort=firmware&order=desc', query: { sort: 'firmware', order: 'desc' }, target: true },
  {
    name: 'model=WM-300&sort=updatedAt&order=desc',
    query: { model: 'WM-300', sort: 'updatedAt', order: 'desc' },
    target: true,
  },
  { name: 'limit=500 (no filter)', query: { limit: '500' }, target: true },
  { name: 'region=EU868&online=false', query: { region: 'EU868', online: 'false' }, target: false },
  { name: 'at&firmware=1.1.0', query: { at: '2025-03-01T00:00:00Z', firmware: '1.1.0' }, target: false },
  {
    name: 'at&status=active&sort=serial',
    query: { at: '2025-08-01T00:00:00Z', status: 'active', sort: 'serial' },
    target: false,
  },
  { name: 'at&tag=pilot', query: { at: '2025-08-01T00:00:00Z', tag: 'pilot' }, target: false },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

async function measure(run: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

(enabled ? describe : describe.skip)(`search over ${DEVICES} devices`, () => {
  let db: { pool: Pool; schema: string; drop(): Promise<void> };
  let tables: TwinTables;
  let search: DeviceSearch;
  const explainFile = process.env['SEARCH_PERF_EXPLAIN'];
  const plans: string[] = [];

  beforeAll(async () => {
    db = await createTestSchema('search_perf');
    tables = twinTables(db.schema);
    await db.pool.query(twinSchemaSql(tables));
    await db.pool.query(fillSql(tables, DEVICES));
    if (process.env['SEARCH_PERF_INDEXES'] !== 'none') await db.pool.query(RECOMMENDED_INDEXES(tables));
    // What autovacuum does after a bulk load: statistics and the visibility map (index-only scans).
    // SEARCH_PERF_VACUUM=0: statistics only, as right after many twin updates (no all-visible pages).
    const vacuum = process.env['SEARCH_PERF_VACUUM'] === '0' ? 'analyze' : 'vacuum analyze';
    await db.pool.query(`${vacuum} ${tables.devices}, ${tables.connectivity}, ${tables.timeline}`);
    await db.pool.query('checkpoint');
    search = new DeviceSearch(db.pool, tables);
    // Warm the caches once over every shape, as a running service would have them.
    for (const shape of SHAPES) await search.search(searchDevicesQuery.parse(shape.query));
  }, 600_000);

  afterAll(async () => {
    if (explainFile) writeFileSync(explainFile, plans.join('\n\n'));
    await db?.drop();
  });

  async function explain(name: string, query: DeviceSearchQuery): Promise<void> {
    const selection: Selection = {
      filters: [query.filter],
      at: query.at ? new Date(query.at) : null,
      now: new Date(),
      tenant: null,
    };
    const statements = [
      ...pageSegments(query.sort, query.after).map((segment) =>
        pageStatement(tables, selection, { ...query, limit: query.limit + 1 }, segment),
      ),
      countStatement(tables, selection),
    ];
    for (const statement of statements) {
      const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>({
        text: `explain (analyze, costs off, timing on) ${statement.text}`,
        values: statement.values,
      });
      plans.push(`-- ${name}\n${statement.text}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    }
  }

  it('meets p95 < 100 ms for the typical query shapes, first and deep pages', async () => {
    const report: string[] = [];
    const misses: string[] = [];
    for (const shape of SHAPES) {
      const first = searchDevicesQuery.parse(shape.query);
      const firstTimes = await measure(() => search.search(first));
      const { total } = await search.search(first);
      // The cursor after DEEP rows, reached the way a client would (pages of 500).
      let cursor: string | null = null;
      for (let seen = 0; seen < DEEP;) {
        const page = await search.search(
          searchDevicesQuery.parse({ ...shape.query, limit: '500', ...(cursor ? { cursor } : {}) }),
        );
        seen += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      const deep = cursor ? searchDevicesQuery.parse({ ...shape.query, cursor }) : null;
      const deepTimes = deep ? await measure(() => search.search(deep)) : null;
      if (explainFile) {
        await explain(`${shape.name} (first page)`, first);
        if (deep) await explain(`${shape.name} (after ${DEEP})`, deep);
      }
      const row =
        `${shape.target ? '*' : ' '} ${shape.name.padEnd(52)} total ${String(total).padStart(6)}  ` +
        `first p50 ${firstTimes.p50.toFixed(1).padStart(6)} p95 ${firstTimes.p95.toFixed(1).padStart(6)} ms` +
        (deepTimes
          ? `   after ${DEEP}: p50 ${deepTimes.p50.toFixed(1).padStart(6)} p95 ${deepTimes.p95.toFixed(1).padStart(6)} ms`
          : '   (fewer than one deep page)');
      report.push(row);
      if (shape.target && (firstTimes.p95 >= 100 || (deepTimes && deepTimes.p95 >= 100)))
        misses.push(shape.name);
    }
    const counts = searchDevicesQuery.parse({ status: 'active' });
    const countTimes = await measure(() => search.counts(counts, 'firmware'));
    report.push(
      `  device-counts?by=firmware&status=active       p50 ${countTimes.p50.toFixed(1)} p95 ${countTimes.p95.toFixed(1)} ms`,
    );
    const start = Date.now();
    let streamed = 0;
    for await (const page of search.ids(searchDevicesQuery.parse({ status: 'active' }), { pageSize: 1000 })) {
      streamed += page.length;
    }
    report.push(`  ids(status=active): ${streamed} ids in ${Date.now() - start} ms (pages of 1000)`);
    process.stdout.write(
      `\nsearch over ${DEVICES} devices, indexes: ${process.env['SEARCH_PERF_INDEXES'] ?? 'recommended'}, ` +
        `vacuumed: ${process.env['SEARCH_PERF_VACUUM'] === '0' ? 'no' : 'yes'}, ` +
        `${RUNS} runs each (page and total), * = target shape\n${report.join('\n')}\n`,
    );
    expect(misses).toEqual([]);
  }, 900_000);
});
