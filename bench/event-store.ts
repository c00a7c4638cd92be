import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@fleet/core';
import { type EventToAppend, type GlobalPosition, PostgresEventStore } from '@fleet/event-store';
import { Pool } from 'pg';

/**
 * PostgresEventStore throughput against plain SQL on a table with the same columns and indexes
 * (no stream table, no notification). Writes use {@link WRITERS} concurrent writers, each on its own
 * streams, for the adapter and the baseline alike; reads page sequentially in {@link PAGE}-row pages.
 */
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet_test';
const WRITERS = 4;
const SINGLE_APPENDS = 2_000;
const BATCH = 100;
const BATCHED_EVENTS = 100_000;
const PAGE = 1_000;
/** appendMany: batches of this many streams, one event each (a dispatcher's or twin's pass). */
const MANY = 2_000;
const MANY_EVENTS = 40_000;
const ROUNDS = 3;
const TARGETS = { batchedAppendVsRawInsert: 0.5, replayVsRawRead: 0.5 };

interface Measure {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
}

const rate = (m: Measure): number => Math.round(m.events / m.seconds);

async function measure(name: string, events: number, work: () => Promise<unknown>): Promise<Measure> {
  const start = process.hrtime.bigint();
  await work();
  return { name, events, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Runs `total` operations spread over the writers; `op(writer, n)` is the writer's n-th. */
async function concurrently(
  total: number,
  op: (writer: number, n: number) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let n = 0; n < total / WRITERS; n++) await op(writer, n);
    }),
  );
}

const metadata: EventMetadata = {
  actor: { type: 'device', id: 'dev-0001' },
  reason: null,
  occurredAt: new Date().toISOString(),
  correlationId: randomUUID(),
  causationId: null,
  tenant: 'default',
};

/** A telemetry-sized event (~400 bytes of JSON). */
function anEvent(n: number): EventToAppend {
  return {
    id: randomUUID(),
    type: 'DeviceReported',
    data: {
      deviceId: 'd3b07384-d9a0-4c1b-9c2a-5f1e2f0b7c11',
      firmware: '2.4.1',
      battery: 87,
      rssi: -71,
      seq: n,
      tags: ['lpwa'],
    },
    metadata,
  };
}

async function rawBaselines(pool: Pool, table: string): Promise<Measure[]> {
  const insert = (stream: string, revision: number, count: number): Promise<unknown> => {
    const values: unknown[] = [];
    const rows = Array.from({ length: count }, (_, i) => {
      const event = anEvent(i);
      values.push(stream, revision + i, event.id, event.type, event.data, event.metadata);
      const p = i * 6;
      return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
    });
    return pool.query(
      `insert into ${table} (stream, revision, event_id, type, data, metadata) values ${rows.join(', ')}`,
      values,
    );
  };
  const single = await measure('raw single-row INSERT', SINGLE_APPENDS, () =>
    concurrently(SINGLE_APPENDS, (w, n) => insert(`raw-single-${w}`, n, 1)),
  );
  const batched = await measure(`raw ${BATCH}-row INSERT`, BATCHED_EVENTS, () =>
    concurrently(BATCHED_EVENTS / BATCH, (w, n) => insert(`raw-batch-${w}`, n * BATCH, BATCH)),
  );
  let rows = 0;
  const read = await measure(`raw SELECT, pages of ${PAGE}`, SINGLE_APPENDS + BATCHED_EVENTS, async () => {
    for (let last = '0'; ;) {
      const page = await pool.query<{ position: string }>(
        `select position, tx_id, stream, revision, event_id, type, data, metadata, recorded_at from ${table}
         where position > $1 order by position limit ${PAGE}`,
        [last],
      );
      rows += page.rows.length;
      if (page.rows.length < PAGE) break;
      last = page.rows.at(-1)!.position;
    }
  });
  if (rows !== read.events) throw new Error(`raw read saw ${rows} rows`);
  return [single, batched, read];
}

async function adapterFigures(store: PostgresEventStore): Promise<Measure[]> {
  const single = await measure('append, 1 event', SINGLE_APPENDS, () =>
    concurrently(SINGLE_APPENDS, (w, n) =>
      store.append(`single-${w}`, [anEvent(n)], n === 0 ? 'no_stream' : BigInt(n - 1)),
    ),
  );
  const batched = await measure(`append, ${BATCH} events`, BATCHED_EVENTS, () =>
    concurrently(BATCHED_EVENTS / BATCH, (w, n) =>
      store.append(
        `batch-${w}`,
        Array.from({ length: BATCH }, (_, i) => anEvent(i)),
        n === 0 ? 'no_stream' : BigInt(n * BATCH - 1),
      ),
    ),
  );
  const many = await measure(`appendMany, ${MANY} streams`, MANY_EVENTS, () =>
    concurrently(MANY_EVENTS / MANY, (w, n) =>
      store.appendMany(
        Array.from({ length: MANY }, (_, i) => ({
          stream: `many-${w}-${n}-${i}`,
          events: [anEvent(i)],
          expected: 'no_stream' as const,
        })),
      ),
    ),
  );
  const total = SINGLE_APPENDS + BATCHED_EVENTS + MANY_EVENTS;
  const replay = await measure(`readAll, pages of ${PAGE}`, total, async () => {
    let read = 0;
    for (let after: GlobalPosition | undefined; ;) {
      const page = await store.readAll({ after, maxCount: PAGE });
      read += page.length;
      if (page.length < PAGE) break;
      after = page.at(-1)!.position;
    }
    if (read !== total) throw new Error(`readAll saw ${read} events`);
  });
  let handled = 0;
  const subscription = await measure(`subscription catch-up, batches of ${PAGE}`, total, async () => {
    const subscription = await store.subscribe({
      subscriptionId: 'bench',
      batchSize: PAGE,
      handler: async () => void handled++,
    });
    await subscription.caughtUp();
    await subscription.stop();
  });
  if (handled !== total) throw new Error(`subscription handled ${handled} events`);
  return [single, batched, many, replay, subscription];
}

/**
 * The machine is shared (and has two cores), so each measure is taken {@link ROUNDS} times on emptied
 * tables, alternating which of adapter and baseline goes first, and the best rate of each is kept.
 */
export async function main(): Promise<void> {
  const pool = new Pool({ connectionString: PG_URL, max: WRITERS + 2 });
  const schema = `bench_es_${process.pid}`;
  try {
    const store = await PostgresEventStore.create({ pool, schema });
    const table = `${schema}.raw_events`;
    await pool.query(`create table ${table} (
      position bigserial primary key,
      tx_id xid8 not null default pg_current_xact_id(),
      stream text not null,
      revision bigint not null,
      event_id uuid not null unique,
      type text not null,
      data jsonb not null,
      metadata jsonb not null,
      recorded_at timestamptz not null default now(),
      unique (stream, revision)
    );
    create index on ${table} (tx_id, position)`);
    const best = new Map<string, Measure>();
    for (let round = 0; round < ROUNDS; round++) {
      await pool.query(
        `truncate ${schema}.events, ${schema}.streams, ${schema}.checkpoints, ${table} restart identity`,
      );
      const measures =
        round % 2 === 0
          ? [...(await rawBaselines(pool, table)), ...(await adapterFigures(store))]
          : [...(await adapterFigures(store)), ...(await rawBaselines(pool, table))];
      for (const m of measures) {
        const previous = best.get(m.name);
        if (!previous || rate(m) > rate(previous)) best.set(m.name, m);
      }
    }
    await store.close();
    report([...best.values()]);
  } finally {
    await pool.query(`drop schema if exists ${schema} cascade`);
    await pool.end();
  }
}

function report(measures: Measure[]): void {
  const get = (name: string): Measure => measures.find((m) => m.name.startsWith(name))!;
  const [single, batched, many, replay, subscription] = [
    'append, 1',
    `append, ${BATCH}`,
    'appendMany',
    'readAll',
    'subscription',
  ].map(get);
  const [rawSingle, rawBatched, rawRead] = ['raw single', `raw ${BATCH}`, 'raw SELECT'].map(get);
  console.log(`PostgresEventStore vs plain SQL: ${WRITERS} concurrent writers, best of ${ROUNDS} rounds`);
  console.log(
    `${'measure'.padEnd(40)}${'events'.padStart(8)}${'seconds'.padStart(9)}${'events/s'.padStart(10)}`,
  );
  for (const m of [
    single,
    batched,
    many,
    replay,
    subscription,
    rawSingle,
    rawBatched,
    rawRead,
  ] as Measure[]) {
    console.log(
      `${m.name.padEnd(40)}${String(m.events).padStart(8)}${m.seconds.toFixed(2).padStart(9)}${String(rate(m)).padStart(10)}`,
    );
  }
  const ratio = (a?: Measure, b?: Measure): number => Math.round((rate(a!) / rate(b!)) * 100) / 100;
  const result = {
    benchmark: 'event-store',
    figures: {
      singleAppendsPerSec: rate(single!),
      batchedAppendEventsPerSec: rate(batched!),
      appendManyEventsPerSec: rate(many!),
      replayEventsPerSec: rate(replay!),
      subscriptionCatchUpEventsPerSec: rate(subscription!),
    },
    baselines: {
      rawSingleInsertsPerSec: rate(rawSingle!),
      rawBatchedInsertRowsPerSec: rate(rawBatched!),
      rawReadRowsPerSec: rate(rawRead!),
    },
    ratios: {
      singleAppendVsRawInsert: ratio(single, rawSingle),
      batchedAppendVsRawInsert: ratio(batched, rawBatched),
      // Each event a stream of its own: a stream row more per event than the raw INSERT writes.
      appendManyVsRawInsert: ratio(many, rawBatched),
      replayVsRawRead: ratio(replay, rawRead),
      subscriptionVsRawRead: ratio(subscription, rawRead),
    },
    targets: TARGETS,
  };
  console.log(JSON.stringify(result));
}
