import { testInfrastructure, uniqueName } from '@fleet/testing';
import { Client, Pool } from 'pg';
import { alertingSchemaSql } from '../../storage/alerting-schema';
import { numberArray, textArray } from '../../storage/postgres/array-literals';
import { TABLES } from '../../storage/postgres/tables';
import { inTransaction } from '../../storage/postgres/transaction';
import { ActivityIndex } from './activity-index';

// The silence index on real PostgreSQL: journal rows merged into one row per device (latest
// uplink wins, whatever the merge order), deadlines from each device's own interval, due devices
// found earliest first, uplinks not merged yet seen by the check.
describe('activity index', () => {
  let db: Awaited<ReturnType<typeof alertingTestDatabase>>;
  const index = new ActivityIndex();
  const t0 = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    db = await alertingTestDatabase();
    await db.pool.query(
      `insert into ${TABLES.devices} (device_id, facts, interval_s) values ('sleepy', '{}', 60)`,
    );
  });

  afterAll(async () => {
    await db.drop();
  });

  const journal = (pool: Pool, rows: { d: string; s: number; b: number | null }[]) =>
    pool.query(
      `insert into ${TABLES.journal} (devices, seen, battery, rssi, snr) values ($1, $2, $3, $4, $5)`,
      [
        textArray(rows.map((r) => r.d)),
        numberArray(rows.map((r) => r.s)),
        numberArray(rows.map((r) => r.b)),
        numberArray(rows.map(() => null)),
        numberArray(rows.map(() => null)),
      ],
    );

  it('merges journal rows into the latest uplink per device, with next checks at k × its interval', async () => {
    // The later uplink of `sleepy` sits in an earlier journal row (two partitions' batches interleave).
    await journal(db.pool, [{ d: 'sleepy', s: t0 + 5_000, b: 40 }]);
    await journal(db.pool, [
      { d: 'sleepy', s: t0, b: 90 },
      { d: 'unknown', s: t0, b: null },
    ]);
    const merged = await inTransaction(db.pool, async (tx) => {
      const before = await index.unmergedUplinks(tx, ['sleepy', 'unknown', 'other']);
      expect(Object.fromEntries(before)).toEqual({ sleepy: t0 + 5_000, unknown: t0 });
      return index.merge(tx, 10, 3);
    });
    expect(merged).toBe(2);
    const { rows } = await db.pool.query<{
      device_id: string;
      last_seen_at: Date;
      next_check_at: Date;
      battery: number | null;
    }>(`select device_id, last_seen_at, next_check_at, battery from ${TABLES.activity} order by device_id`);
    expect(rows).toEqual([
      {
        device_id: 'sleepy',
        last_seen_at: new Date(t0 + 5_000),
        next_check_at: new Date(t0 + 5_000 + 180_000),
        battery: 40,
      },
      {
        device_id: 'unknown',
        last_seen_at: new Date(t0),
        next_check_at: new Date(t0 + 900_000),
        battery: null,
      },
    ]);
    expect(await inTransaction(db.pool, (tx) => index.backlog(tx))).toBe(0);
  });

  it('finds due devices earliest first and reschedules them', async () => {
    const due = await inTransaction(db.pool, async (tx) => {
      const found = await index.due(tx, t0 + 1_000_000, 10);
      await index.reschedule(tx, [{ deviceId: 'unknown', at: null }]);
      return found;
    });
    expect(due.map((d) => d.deviceId)).toEqual(['sleepy', 'unknown']);
    expect(await inTransaction(db.pool, (tx) => index.anyDue(tx, t0 + 100_000))).toBe(false);
    expect(
      (await inTransaction(db.pool, (tx) => index.due(tx, t0 + 1_000_000, 10))).map((d) => d.deviceId),
    ).toEqual(['sleepy']);
  });

  it('brings deadlines forward for a new, smaller multiplier, including devices with none', async () => {
    await inTransaction(db.pool, (tx) => index.bringForward(tx, 2));
    const { rows } = await db.pool.query<{ device_id: string; next_check_at: Date }>(
      `select device_id, next_check_at from ${TABLES.activity} order by device_id`,
    );
    expect(rows).toEqual([
      { device_id: 'sleepy', next_check_at: new Date(t0 + 5_000 + 120_000) },
      { device_id: 'unknown', next_check_at: new Date(t0 + 600_000) },
    ]);
  });

  it('keeps an older uplink merged late from moving a device back in time', async () => {
    await journal(db.pool, [{ d: 'sleepy', s: t0 - 60_000, b: 10 }]);
    await inTransaction(db.pool, (tx) => index.merge(tx, 10, 3));
    const { rows } = await db.pool.query<{ last_seen_at: Date; battery: number }>(
      `select last_seen_at, battery from ${TABLES.activity} where device_id = 'sleepy'`,
    );
    expect(rows[0]).toEqual({ last_seen_at: new Date(t0 + 5_000), battery: 40 });
  });
});

/**
 * A database of its own for an integration test of the alerting tables (their schema name is
 * fixed), with the tables created; `drop()` removes it.
 */
export async function alertingTestDatabase(): Promise<{ pool: Pool; url: string; drop(): Promise<void> }> {
  const name = uniqueName('fleet_int_alerting').toLowerCase();
  const admin = new Client({ connectionString: testInfrastructure.pgUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testInfrastructure.pgUrl);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 10 });
  await pool.query(alertingSchemaSql());
  return {
    pool,
    url: url.toString(),
    async drop() {
      await pool.end();
      const c = new Client({ connectionString: testInfrastructure.pgUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
