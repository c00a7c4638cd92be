import { PostgresEventStore } from '@fleet/event-store';
import { Client, Pool } from 'pg';
import { twinTables } from '../apps/device-twin/src/devices/twin/twin-tables';
import {
  databaseUrl,
  DEVICES,
  ensureDatabase,
  ensureDataset,
  EVENTS_PER_DEVICE,
  removeRunData,
} from './twin/dataset';
import { benchDeviceId } from './twin/events';
import { measureRebuild } from './twin/rebuild';
import { measureSearch, SEARCH_TARGET_MS } from './twin/search';
import {
  BULK_DEVICES,
  BULK_TARGET_SECONDS,
  ensureBuilt,
  HISTORY_TARGET_MS,
  measureService,
} from './twin/service';
import { log, round, seconds } from './twin/timing';

/**
 * The device-twin read model at fleet scale, in its own database (`fleet_bench`, the service's
 * default schemas `event_store` and `device_twin` inside it):
 *
 * 1. rebuild of 1,000,000 device events (100,000 devices x 10) beside the raw read of the same events;
 * 2. search latency over the 100,000 rebuilt twins (DeviceSearch on a pool, no HTTP);
 * 3. history and state-at-version of one device with 10,000 events, through the compiled service;
 * 4. bulk provisioning of 10,000 CSV rows through the service, beside raw appends of their events.
 *
 * The data set is seeded once and reused; what a run adds is removed at its end.
 * Environment: PG_URL (server to use; default the fleet_test URL), TWIN_BENCH_DB (default fleet_bench),
 * TWIN_BENCH_EXPLAIN=1 (explain analyze every search shape), TWIN_BENCH_BUILD=auto|always|never.
 * `npm run bench -- twin --only rebuild` runs part 1 alone (no build, no service, no Kafka needed).
 */
const SERVER_URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet_test';
const DATABASE = process.env['TWIN_BENCH_DB'] ?? 'fleet_bench';
const EVENT_STORE_SCHEMA = 'event_store';
const REBUILD_TARGET = { min: 50_000, minRatio: 0.5 };
/** The long-history device of part 3; appended at the start of that part, removed at the end of the run. */
const HISTORY_DEVICE = benchDeviceId('twin-bench-history', 0);

/** `--only rebuild`: part 1 alone; without the flag every part runs. */
function onlyPart(argv: readonly string[]): 'rebuild' | undefined {
  const at = argv.indexOf('--only');
  if (at < 0) return undefined;
  const part = argv[at + 1];
  if (part !== 'rebuild') throw new Error(`--only takes: rebuild (got ${JSON.stringify(part ?? '')})`);
  return part;
}

export async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const only = onlyPart(process.argv.slice(2));
  if (!only) ensureBuilt();
  await ensureDatabase(SERVER_URL, DATABASE);
  const url = databaseUrl(SERVER_URL, DATABASE);
  // One run at a time per database: runs share the data set and the service's tables.
  const lock = new Client({ connectionString: url, application_name: 'twin-bench-lock' });
  await lock.connect();
  const { rows } = await lock.query<{ locked: boolean }>(
    `select pg_try_advisory_lock(hashtext('twin-bench')) as locked`,
  );
  if (!rows[0]?.locked) {
    await lock.end();
    throw new Error(`another twin benchmark is running on ${DATABASE}; wait for it to finish`);
  }
  const pool = new Pool({ connectionString: url, max: 10, application_name: 'twin-bench' });
  const store = new PostgresEventStore({ pool, schema: EVENT_STORE_SCHEMA });
  const tables = twinTables();
  try {
    await store.ensureSchema();
    const leftovers = await removeRunData(pool, store.schema, tables, [HISTORY_DEVICE]);
    if (leftovers > 0) log(`removed ${leftovers} events left by an earlier run`);
    const dataset = await ensureDataset(url, pool, store, tables);

    // Connectivity is never rebuilt; recreated so that it has exactly the indexes twin-tables.ts declares
    // today (part 2 fills it again).
    await pool.query(`drop table if exists ${tables.connectivity}`);

    log(`\n1. rebuild of ${DEVICES * EVENTS_PER_DEVICE} device events`);
    const rebuild = await measureRebuild(pool, store, tables);
    if (only === 'rebuild') {
      const { report, raw } = rebuild;
      console.log(
        JSON.stringify({
          bench: 'twin',
          only,
          rebuild: {
            events: report.events,
            seconds: round(report.seconds, 2),
            eventsPerSecond: report.eventsPerSecond,
            rawReadPerSecond: raw.eventsPerSecond,
            rawReadsPerSecond: rebuild.rawReads.map((r) => r.eventsPerSecond),
            ratio: round(report.eventsPerSecond / raw.eventsPerSecond, 2),
            phases: report.phases,
            met:
              report.eventsPerSecond >= REBUILD_TARGET.min &&
              report.eventsPerSecond / raw.eventsPerSecond >= REBUILD_TARGET.minRatio,
          },
        }),
      );
      return;
    }
    // What autovacuum does to fresh tables within a minute: statistics and the visibility map.
    await pool.query(`vacuum analyze ${tables.devices}, ${tables.timeline}`);

    log('\n2. search');
    const search = await measureSearch(pool, tables, process.env['TWIN_BENCH_EXPLAIN'] === '1');

    log('\n3./4. history and bulk provisioning through the compiled service');
    const service = await measureService(url, pool, store, tables, HISTORY_DEVICE);

    const rebuildFigures = {
      events: rebuild.report.events,
      devices: rebuild.report.devices,
      timelinePeriods: rebuild.report.timelinePeriods,
      seconds: round(rebuild.report.seconds, 2),
      eventsPerSecond: rebuild.report.eventsPerSecond,
      rawReadPerSecond: rebuild.raw.eventsPerSecond,
      rawReadsPerSecond: rebuild.rawReads.map((r) => r.eventsPerSecond),
      ratio: round(rebuild.report.eventsPerSecond / rebuild.raw.eventsPerSecond, 2),
      differencesFromLive: rebuild.report.differences,
      phases: rebuild.report.phases,
      target: REBUILD_TARGET,
    };
    const bulk = service.bulk;
    const result = {
      bench: 'twin',
      dataset: {
        database: DATABASE,
        reused: dataset.reused,
        seededAt: dataset.seededAt,
        seedSeconds: dataset.seedSeconds,
      },
      rebuild: {
        ...rebuildFigures,
        met:
          rebuildFigures.eventsPerSecond >= REBUILD_TARGET.min &&
          rebuildFigures.ratio >= REBUILD_TARGET.minRatio,
      },
      search: {
        ...search,
        baseline:
          'each shape: its filter as a plain select count(*) on the one table holding it; plus a primary-key lookup',
        target: { maxP95Ms: SEARCH_TARGET_MS },
        met: search.worstP95 < SEARCH_TARGET_MS,
      },
      history: {
        ...service.history,
        ratio: round(service.history.worstP95 / service.history.baselines.readStream100.p95, 1),
        target: { maxP95Ms: HISTORY_TARGET_MS },
        met: service.history.worstP95 < HISTORY_TARGET_MS,
      },
      bulkProvisioning: {
        ...bulk,
        devicesPerSecond: Math.round(BULK_DEVICES / bulk.responseSeconds),
        ratio: round(bulk.baseline.seconds / bulk.responseSeconds, 2),
        target: { maxSeconds: BULK_TARGET_SECONDS },
        met: bulk.created === BULK_DEVICES && bulk.responseSeconds < BULK_TARGET_SECONDS,
      },
      totalSeconds: 0,
    };
    result.totalSeconds = round(seconds(started));
    report(result);
  } finally {
    const removed = await removeRunData(pool, store.schema, tables, [HISTORY_DEVICE]).catch(
      (error: unknown) => {
        log(`cleaning up failed: ${String(error)}`);
        return 0;
      },
    );
    log(`removed ${removed} events this run added`);
    await store.close();
    await pool.end();
    await lock.end();
  }
}

type Result = {
  rebuild: {
    eventsPerSecond: number;
    rawReadPerSecond: number;
    ratio: number;
    met: boolean;
    seconds: number;
  };
  search: { worstP95: number; worstShape: string; met: boolean };
  history: { worstP95: number; worstEndpoint: string; met: boolean };
  bulkProvisioning: {
    responseSeconds: number;
    twinSeconds: number | null;
    relaySeconds: number | null;
    baseline: { seconds: number };
    met: boolean;
  };
  totalSeconds: number;
};

function report(result: Result): void {
  const mark = (met: boolean) => (met ? 'met ' : 'MISS');
  const { rebuild, search, history, bulkProvisioning: bulk } = result;
  console.log('device-twin read model (npm run bench -- twin)');
  console.log(
    `${mark(rebuild.met)} rebuild            ${rebuild.eventsPerSecond} events/s (${rebuild.seconds} s), raw read ` +
      `${rebuild.rawReadPerSecond} events/s, ratio ${rebuild.ratio} (target >= 50000 and >= 0.5)`,
  );
  console.log(
    `${mark(search.met)} search             worst p95 ${search.worstP95} ms (${search.worstShape}) (target < 100 ms)`,
  );
  console.log(
    `${mark(history.met)} history            worst history p95 ${history.worstP95} ms (${history.worstEndpoint}) (target < 50 ms; state?version reported above, no target)`,
  );
  console.log(
    `${mark(bulk.met)} bulk provisioning  ${bulk.responseSeconds} s to respond, twin ${bulk.twinSeconds ?? '-'} s, ` +
      `relay ${bulk.relaySeconds ?? '-'} s; raw appends ${bulk.baseline.seconds} s (target < 60 s)`,
  );
  console.log(`total ${result.totalSeconds} s`);
  console.log(JSON.stringify(result));
}
