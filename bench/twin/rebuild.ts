import type { EventStore, GlobalPosition } from '@fleet/event-store';
import type { Pool } from 'pg';
import { rebuildTwin, type RebuildReport } from '../../apps/device-twin/src/devices/twin/twin-rebuild';
import type { TwinTables } from '../../apps/device-twin/src/devices/twin/twin-tables';
import { log, seconds } from './timing';

const PAGE = 10_000;

export interface RawRead {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** Reads every device event in pages of {@link PAGE}, doing nothing else: the floor of a rebuild. */
export async function rawRead(store: EventStore): Promise<RawRead> {
  const start = process.hrtime.bigint();
  let events = 0;
  for (let after: GlobalPosition | undefined; ;) {
    const page = await store.readAll({
      streamPrefixes: ['device-'],
      maxCount: PAGE,
      ...(after ? { after } : {}),
    });
    events += page.length;
    if (page.length < PAGE) break;
    after = page.at(-1)!.position;
  }
  const took = seconds(start);
  return { events, seconds: took, eventsPerSecond: Math.round(events / took) };
}

export interface RebuildFigures {
  readonly report: RebuildReport;
  readonly raw: RawRead;
  /** Both raw reads, before and after the rebuild; `raw` is the faster. */
  readonly rawReads: readonly RawRead[];
}

/**
 * The raw read is taken before and after the rebuild and the faster one kept, so that neither a
 * cold cache nor a busy neighbour makes the baseline look slow (the ratio errs on the strict side).
 */
export async function measureRebuild(
  pool: Pool,
  store: EventStore,
  tables: TwinTables,
): Promise<RebuildFigures> {
  const before = await rawRead(store);
  log(
    `raw read:  ${before.events} events in ${before.seconds.toFixed(1)} s (${before.eventsPerSecond} events/s)`,
  );
  const report = await rebuildTwin({ pool, store, tables, swap: true });
  log(
    `rebuild:   ${report.events} events, ${report.devices} devices, ${report.timelinePeriods} periods in ` +
      `${report.seconds.toFixed(1)} s (${report.eventsPerSecond} events/s); phases (s): ` +
      `fold ${report.phases.fold}, load ${report.phases.load}, index ${report.phases.index}, swap ${report.phases.swap}`,
  );
  const after = await rawRead(store);
  log(
    `raw read:  ${after.events} events in ${after.seconds.toFixed(1)} s (${after.eventsPerSecond} events/s)`,
  );
  const raw = before.eventsPerSecond >= after.eventsPerSecond ? before : after;
  return { report, raw, rawReads: [before, after] };
}
