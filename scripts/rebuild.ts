/**
 * `npm run rebuild -- device-twin [--dry-run] [--pages]`: rebuilds a service's read model from the
 * event store into new tables and swaps them in while the service keeps running. Prints a JSON
 * report. `--pages` reads the log in its order, page by page, instead of stream by stream in one
 * COPY (for a PostgreSQL store much larger than memory: see ADR 007).
 */
import { EventStoreDbEventStore, PostgresEventStore, type EventStore } from '@fleet/event-store';
import { Pool } from 'pg';
import { loadDeviceTwinConfig } from '../apps/device-twin/src/config';
import { rebuildTwin } from '../apps/device-twin/src/devices/twin/twin-rebuild';

const REBUILDERS = {
  'device-twin': async (dryRun: boolean, pages: boolean) => {
    const config = loadDeviceTwinConfig();
    const pool = new Pool({ connectionString: config.PG_URL, max: 6, application_name: 'fleet-rebuild' });
    const store: EventStore =
      config.EVENT_STORE === 'eventstoredb'
        ? new EventStoreDbEventStore({ connectionString: config.EVENTSTORE_URL as string })
        : new PostgresEventStore({ pool, schema: config.EVENT_STORE_SCHEMA });
    try {
      return await rebuildTwin({ pool, store, swap: !dryRun, read: pages ? 'pages' : 'bulk' });
    } finally {
      await store.close();
      await pool.end();
    }
  },
} as const;

async function main(): Promise<void> {
  const [target, ...flags] = process.argv.slice(2);
  const rebuild = REBUILDERS[target as keyof typeof REBUILDERS] as
    (typeof REBUILDERS)[keyof typeof REBUILDERS] | undefined;
  if (!rebuild) {
    console.error(`usage: npm run rebuild -- <${Object.keys(REBUILDERS).join('|')}> [--dry-run] [--pages]`);
    process.exit(2);
  }
  const report = await rebuild(flags.includes('--dry-run'), flags.includes('--pages'));
  console.log(JSON.stringify({ target, ...report }));
}

main().catch((error: unknown) => {
  console.error(`rebuild: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
