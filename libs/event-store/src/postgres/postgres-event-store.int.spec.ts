import { ConflictError, ValidationError } from '@fleet/core';
import { Pool } from 'pg';
import {
  anEvent,
  events,
  readAllEventually,
  readWholeLog,
  sleep,
  uniquePrefix,
} from '../conformance/fixtures';
import type { BulkEvent } from './bulk-read';
import { describeEventStoreConformance } from '../event-store.conformance';
import { PostgresEventStore } from './postgres-event-store';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet_test';

/** A store in a schema of its own, dropped again by `cleanup`. */
async function freshStore(): Promise<{ store: PostgresEventStore; pool: Pool; cleanup(): Promise<void> }> {
  // 16 concurrent writers in the concurrency test, plus subscriptions and their LISTEN connection.
  const pool = new Pool({ connectionString: PG_URL, max: 24 });
  const schema = `es_test_${process.pid}_${Date.now().toString(36)}`;
  const store = await PostgresEventStore.create({ pool, schema, pollIntervalMs: 100 });
  return {
    store,
    pool,
    cleanup: async () => {
      await store.close();
      await pool.query(`drop schema if exists ${schema} cascade`);
      await pool.end();
    },
  };
}

describeEventStoreConformance('PostgreSQL', async () => {
  const { store, pool, cleanup } = await freshStore();
  return {
    store,
    cleanup,
    appendWithDelay: async (stream, batch, delayMs, rollback) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await store.appendWith(client, stream, batch, 'any');
        await sleep(delayMs);
        await client.query(rollback ? 'rollback' : 'commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
});

describe('PostgresEventStore specifics', () => {
  let fixture: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    fixture = await freshStore();
  });
  afterAll(() => fixture.cleanup());

  it('creates its schema idempotently, even concurrently', async () => {
    await Promise.all([fixture.store.ensureSchema(), fixture.store.ensureSchema()]);
    await fixture.store.ping();
  });

  it('refuses an event id that was already appended, in any stream', async () => {
    const prefix = uniquePrefix('dup');
    const event = anEvent('Once');
    await fixture.store.append(`${prefix}a`, [event], 'no_stream');
    await expect(fixture.store.append(`${prefix}a`, [event], 'any')).rejects.toBeInstanceOf(ConflictError);
    await expect(fixture.store.append(`${prefix}b`, [event], 'no_stream')).rejects.toThrow(
      /already appended/,
    );
    expect(await fixture.store.readStream(`${prefix}a`)).toHaveLength(1);
    expect(await fixture.store.readStream(`${prefix}b`)).toEqual([]);
  });

  describe('appendMany in one statement', () => {
    it('given an event id used before, then the whole batch is refused and nothing of it is stored', async () => {
      const prefix = uniquePrefix('many-dup');
      const reused = anEvent('Once');
      await fixture.store.append(`${prefix}a`, [reused], 'no_stream');

      await expect(
        fixture.store.appendMany([
          { stream: `${prefix}b`, events: events(1), expected: 'no_stream' },
          { stream: `${prefix}c`, events: [reused], expected: 'no_stream' },
        ]),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await fixture.store.readStream(`${prefix}b`)).toEqual([]);
    });

    it('given a batch, then positions grow in the order of the batch, one transaction for all', async () => {
      const prefix = uniquePrefix('many-order');
      const streams = ['m', 'c', 'x', 'a'].map((s) => `${prefix}${s}`);
      await fixture.store.append(streams[2]!, events(1), 'no_stream');

      const outcomes = await fixture.store.appendMany(
        streams.map((stream, i) => ({ stream, events: events(i + 1), expected: 'any' as const })),
      );

      const results = outcomes.map((o) => (o.ok ? o.result : undefined));
      expect(results.map((r) => r?.nextExpectedRevision)).toEqual([0n, 1n, 3n, 3n]);
      const positions = results.map((r) => r!.position.prepare);
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
      expect(new Set(results.map((r) => r!.position.commit)).size).toBe(1);
    });

    it('given a stream appended to twice in one batch, then the second append sees the first', async () => {
      const stream = `${uniquePrefix('many-twice')}a`;
      const outcomes = await fixture.store.appendMany([
        { stream, events: events(1), expected: 'no_stream' },
        { stream, events: events(1), expected: 0n },
      ]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
      expect(await fixture.store.readStream(stream)).toHaveLength(2);
    });
  });

  it('refuses ids that are not UUIDs and empty appends', async () => {
    const stream = `${uniquePrefix('invalid')}a`;
    await expect(
      fixture.store.append(stream, [{ ...anEvent('Bad'), id: 'nope' }], 'any'),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(fixture.store.append(stream, [], 'any')).rejects.toBeInstanceOf(ValidationError);
  });

  it('holds back events committed after a transaction that started earlier is still running', async () => {
    const prefix = uniquePrefix('horizon');
    const client = await fixture.pool.connect();
    try {
      await client.query('begin');
      const early = await fixture.store.appendWith(client, `${prefix}early`, events(1), 'no_stream');
      const late = await fixture.store.append(`${prefix}late`, events(1), 'no_stream');
      expect(late.position.commit).toBeGreaterThan(early.position.commit);
      expect(late.position.prepare).toBeGreaterThan(early.position.prepare);
      // The later transaction has committed, but a reader that took it would skip `early` for good.
      expect(await fixture.store.readAll({ streamPrefixes: [prefix] })).toEqual([]);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
    const read = await readAllEventually(fixture.store, { streamPrefixes: [prefix] }, 2);
    expect(read.map((event) => event.stream.slice(prefix.length))).toEqual(['early', 'late']);
  });

  describe('readInBulk', () => {
    const bulk = async (store: PostgresEventStore, prefixes: string[], order?: 'stream' | 'global') => {
      const read = await store.readInBulk({ streamPrefixes: prefixes, ...(order ? { order } : {}) });
      const all: BulkEvent[] = [];
      for await (const batch of read.batches) all.push(...batch);
      return { position: read.position, events: all };
    };
    const folded = (e: BulkEvent) => [e.stream, e.revision, e.type, e.data, e.metadata];

    it('reads every event of the matching streams, stream by stream, and ends where readAll continues', async () => {
      const prefix = uniquePrefix('bulk');
      await fixture.store.append(`${prefix}b`, events(3), 'no_stream');
      await fixture.store.append(`${prefix}a`, events(2), 'no_stream');
      await fixture.store.append(`${prefix}b`, events(2), 'any');
      await fixture.store.append(`${uniquePrefix('other')}a`, events(1), 'no_stream');
      const logged = await readAllEventually(fixture.store, { streamPrefixes: [prefix] }, 7);

      const read = await bulk(fixture.store, [prefix]);
      const byStream = [...logged].sort((x, y) =>
        x.stream === y.stream ? Number(x.revision - y.revision) : x.stream < y.stream ? -1 : 1,
      );
      expect(read.events.map(folded)).toEqual(byStream.map(folded));
      expect((await bulk(fixture.store, [prefix], 'global')).events.map(folded)).toEqual(logged.map(folded));

      await fixture.store.append(`${prefix}a`, events(1), 'any');
      const after = await readAllEventually(
        fixture.store,
        { streamPrefixes: [prefix], ...(read.position ? { after: read.position } : {}) },
        1,
      );
      expect(after.map((e) => [e.stream, e.revision])).toEqual([[`${prefix}a`, 2n]]);
      expect(await readWholeLog(fixture.store, prefix)).toHaveLength(8);
    });

    it('returns text exactly as stored', async () => {
      const prefix = uniquePrefix('bulk-text');
      const nasty = [
        'say "hi"',
        'back\\slash',
        'tab\there',
        'line\nbreak',
        'crlf\r\n',
        'Zürich ✓',
        '\\N',
        '{a,b}',
      ];
      await fixture.store.append(
        `${prefix}s\\t`,
        [anEvent('Nasty\tType', { nasty, 'k"\t': 'v\n\\' })],
        'no_stream',
      );
      const logged = await readAllEventually(fixture.store, { streamPrefixes: [prefix] }, 1);
      expect((await bulk(fixture.store, [prefix])).events.map(folded)).toEqual(logged.map(folded));
    });

    it('reassembles rows and characters split between chunks of the output', async () => {
      const prefix = uniquePrefix('bulk-chunks');
      const text = 'Zürich ✓ 東京 '.repeat(40);
      for (let s = 0; s < 6; s++) {
        const batch = Array.from({ length: 500 }, (_, i) => anEvent('Long', { i, text, tab: '\t\\' }));
        await fixture.store.append(`${prefix}${s}`, batch, 'no_stream');
      }
      const logged = await readAllEventually(
        fixture.store,
        { streamPrefixes: [prefix], maxCount: 5_000 },
        3_000,
      );
      const read = await bulk(fixture.store, [prefix]);
      expect(read.events).toHaveLength(3_000);
      expect(read.events.map(folded)).toEqual(logged.map(folded));
    });

    it('ends before a transaction still running, like readAll', async () => {
      const prefix = uniquePrefix('bulk-horizon');
      const client = await fixture.pool.connect();
      try {
        await client.query('begin');
        await fixture.store.appendWith(client, `${prefix}early`, events(1), 'no_stream');
        await fixture.store.append(`${prefix}late`, events(1), 'no_stream');
        expect((await bulk(fixture.store, [prefix])).events).toEqual([]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
      await readAllEventually(fixture.store, { streamPrefixes: [prefix] }, 2);
      const read = await bulk(fixture.store, [prefix]);
      expect(read.events.map((e) => e.stream.slice(prefix.length))).toEqual(['early', 'late']);
    });

    it('reads nothing from an empty log, and closes its connection when the caller stops early', async () => {
      const empty = await freshStore();
      try {
        expect(await bulk(empty.store, [])).toEqual({ position: undefined, events: [] });
        const prefix = uniquePrefix('bulk-stop');
        for (let i = 0; i < 20; i++) await empty.store.append(`${prefix}${i}`, events(200), 'no_stream');
        await readAllEventually(empty.store, { streamPrefixes: [prefix], maxCount: 4_000 }, 4_000);
        const read = await empty.store.readInBulk({ streamPrefixes: [prefix] });
        for await (const batch of read.batches) {
          expect(batch.length).toBeGreaterThan(0);
          break;
        }
        expect(empty.pool.totalCount).toBe(empty.pool.idleCount);
        await expect(empty.store.readAll({ streamPrefixes: [prefix], maxCount: 1 })).resolves.toHaveLength(1);
      } finally {
        await empty.cleanup();
      }
    });
  });
});
