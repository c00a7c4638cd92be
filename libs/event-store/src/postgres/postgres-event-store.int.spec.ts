import { ConflictError, ValidationError } from '@fleet/core';
import { Pool } from 'pg';
import { anEvent, events, readAllEventually, sleep, uniquePrefix } from '../conformance/fixtures';
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
});
