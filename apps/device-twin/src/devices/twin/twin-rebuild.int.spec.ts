import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type EventToAppend, type Subscription } from '@fleet/event-store';
import { createTestSchema } from '@fleet/testing';
import type { Pool } from 'pg';
import type { DeviceEvent, DeviceProvisionedData } from '../device';
import { PostgresTwinStore } from './postgres-twin.store';
import { twinTables, type TwinTables } from './twin-tables';
import { rebuildTwin } from './twin-rebuild';
import { foldTwin } from './twin-view';

const credential = {
  type: 'secret' as const,
  secretHash: 'h',
  certificateFingerprint: null,
  certificateNotAfter: null,
  appKeyCiphertext: null,
  kekId: null,
};

function provisioned(deviceId: string, firmware: string): DeviceEvent {
  const data: DeviceProvisionedData = {
    deviceId,
    serial: `SN-${deviceId}`,
    manufacturer: 'Acme',
    model: 'WM-200',
    hardwareRevision: null,
    firmwareVersion: firmware,
    deviceClass: { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
    region: null,
    tags: ['water'],
    attributes: {},
    credential,
  };
  return { type: 'DeviceProvisioned', data };
}

/** A device's life: provisioned, activated, configured, reports, sometimes suspended or upgraded. */
function lifeOf(deviceId: string, n: number): DeviceEvent[] {
  const events: DeviceEvent[] = [
    provisioned(deviceId, '1.0.0'),
    { type: 'DeviceActivated', data: { deviceId } },
  ];
  events.push({
    type: 'DesiredConfigurationChanged',
    data: { deviceId, changes: { 'application.reportingIntervalSeconds': 60 * (n + 1) }, jobId: null },
  });
  if (n % 2 === 0)
    events.push({
      type: 'ConfigurationApplied',
      data: { deviceId, reported: { 'application.reportingIntervalSeconds': 60 * (n + 1) } },
    });
  if (n % 3 === 0)
    events.push({
      type: 'FirmwareVersionChanged',
      data: { deviceId, previousVersion: '1.0.0', firmwareVersion: '1.1.0' },
    });
  if (n % 5 === 0)
    events.push({
      type: 'DeviceLabelsChanged',
      data: { deviceId, tags: ['water', 'pilot'], attributes: { site: 'n' } },
    });
  if (n % 7 === 0) events.push({ type: 'DeviceSuspended', data: { deviceId } });
  return events;
}

let at = Date.parse('2026-01-01T00:00:00Z');
const toAppend = (events: readonly DeviceEvent[]): EventToAppend[] =>
  events.map((e) => ({
    id: randomUUID(),
    type: e.type,
    data: e.data as unknown as Record<string, unknown>,
    metadata: {
      actor: { type: 'operator', id: 'alice' },
      reason: 'test',
      occurredAt: new Date((at += 1000)).toISOString(),
      correlationId: 'c',
      causationId: null,
      tenant: 'default',
    },
  }));

describe('twin rebuild', () => {
  let pool: Pool;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  let tables: TwinTables;
  let live: PostgresTwinStore;
  let projection: Subscription;

  const startProjection = () =>
    store.subscribe({
      subscriptionId: 'twin-under-test',
      streamPrefixes: ['device-'],
      batchHandler: (events) => live.applyBatch(events),
    });
  const rows = async (table: string) =>
    (await pool.query(`select device_id, version, view from ${table} order by device_id`)).rows;

  beforeAll(async () => {
    const schema = await createTestSchema('twin_rebuild');
    pool = schema.pool;
    drop = schema.drop;
    store = await PostgresEventStore.create({ pool, schema: schema.schema, pollIntervalMs: 50 });
    tables = twinTables(schema.schema);
    live = new PostgresTwinStore(pool, tables);
    await live.ensureSchema();
    for (let n = 0; n < 60; n++)
      await store.append(`device-d${n}`, toAppend(lifeOf(`d${n}`, n)), 'no_stream');
    // Text the bulk load (COPY) must escape: quotes, backslashes, tabs, newlines, non-ASCII, a literal \N.
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
    await store.append(
      'device-nasty',
      toAppend([
        provisioned('nasty', 'v"1\\'),
        {
          type: 'DeviceLabelsChanged',
          data: { deviceId: 'nasty', tags: nasty, attributes: { 'k"\t': 'v\n\\' } },
        },
      ]),
      'no_stream',
    );
    // Instants in other forms than toISOString's, which COPY must store exactly as the projection's upsert.
    for (const [deviceId, times] of [
      ['offset', ['2026-03-01T10:00:00.123456+02:00', '2026-03-02T10:00:00-05:30']],
      ['local', ['2026-03-01 10:00:00', '2026-03-02 11:00:00.5']],
    ] as const) {
      const events = toAppend([
        provisioned(deviceId, '1.0.0'),
        { type: 'DeviceActivated', data: { deviceId } },
      ]);
      await store.append(
        `device-${deviceId}`,
        events.map((e, i) => ({ ...e, metadata: { ...e.metadata, occurredAt: times[i] as string } })),
        'no_stream',
      );
    }
    projection = await startProjection();
    await projection.caughtUp();
  });

  afterAll(async () => {
    await projection.stop();
    await store.close();
    await drop();
  });

  it('rebuilds a model identical to the live projection, reading in bulk or page by page', async () => {
    for (const read of ['bulk', 'pages'] as const) {
      const report = await rebuildTwin({ pool, store, tables, swap: false, read, pageSize: 37 });
      expect(report).toMatchObject({ devices: 63, differences: { devices: 0, timeline: 0 }, swapped: false });
      expect(report.events).toBeGreaterThan(60 * 3);
    }
  });

  it('loads frozen, all-visible tables that need no vacuum', async () => {
    await rebuildTwin({ pool, store, tables });
    const { rows } = await pool.query<{ relname: string; relpages: number; relallvisible: number }>(
      `select relname, relpages, relallvisible from pg_class where oid = any($1::regclass[])`,
      [[tables.devices, tables.timeline]],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.relallvisible).toBe(row.relpages);
  });

  it('leaves no half-built tables behind when the read fails midway', async () => {
    class FailingStore extends PostgresEventStore {
      override async readInBulk(options: Parameters<PostgresEventStore['readInBulk']>[0]) {
        const read = await super.readInBulk(options);
        return {
          position: read.position,
          batches: (async function* () {
            for await (const batch of read.batches) {
              yield batch.slice(0, 10);
              throw new Error('connection lost');
            }
          })(),
        };
      }
    }
    const failing = new FailingStore({ pool, schema: store.schema });
    const before = await rows(tables.devices);
    await expect(rebuildTwin({ pool, store: failing, tables })).rejects.toThrow('connection lost');
    const { rows: leftovers } = await pool.query(
      `select tablename from pg_tables where schemaname = $1 and tablename like '%_next'`,
      [tables.schema],
    );
    expect(leftovers).toEqual([]);
    expect(await rows(tables.devices)).toEqual(before);
    const next = await rebuildTwin({ pool, store, tables, swap: false });
    expect(next.differences).toEqual({ devices: 0, timeline: 0 });
  });

  it('notices a drifted live model, and the swap repairs it', async () => {
    await pool.query(
      `update ${tables.devices} set view = jsonb_set(view, '{status}', '"active"') where device_id = 'd0'`,
    );
    await pool.query(`delete from ${tables.timeline} where device_id = 'd1'`);
    const expected = await rows(tables.devices);
    const dry = await rebuildTwin({ pool, store, tables, swap: false });
    expect(dry.differences?.devices).toBe(1); // the drifted row
    expect(dry.differences?.timeline).toBeGreaterThan(0);

    const swapped = await rebuildTwin({ pool, store, tables });
    expect(swapped.swapped).toBe(true);
    const after = await rows(tables.devices);
    expect(after.find((r) => r.device_id === 'd0').view.status).toBe('suspended');
    expect(after.filter((r) => r.device_id !== 'd0')).toEqual(expected.filter((r) => r.device_id !== 'd0'));
    expect((await rebuildTwin({ pool, store, tables, swap: false })).differences).toEqual({
      devices: 0,
      timeline: 0,
    });
  });

  it('keeps snapshots every 500 versions that continue to the same twin as a full fold', async () => {
    const labels = Array.from({ length: 1_100 }, (_, i): DeviceEvent => ({
      type: 'DeviceLabelsChanged',
      data: { deviceId: 'long', tags: [`t${i}`], attributes: {} },
    }));
    await store.append('device-long', toAppend([provisioned('long', '1.0.0'), ...labels]), 'no_stream');
    await projection.caughtUp();
    const snapshot = await live.snapshotBefore('long', { version: 1_050 });
    expect(snapshot?.version).toBe(1_000);
    const all = await store.readStream('device-long');
    const rest = await store.readStream('device-long', { fromRevision: 1_000n, maxCount: 50 });
    expect(foldTwin(rest, { version: 1_050 }, snapshot)).toEqual(foldTwin(all, { version: 1_050 }));
    const rebuilt = await rebuildTwin({ pool, store, tables });
    expect(rebuilt.swapped).toBe(true);
    expect((await live.snapshotBefore('long', { version: 1_050 }))?.version).toBe(1_000);
  });

  it('keeps up with appends during the rebuild, and the live projection keeps writing to the swapped tables', async () => {
    let writing = true;
    let n = 100;
    const writer = (async () => {
      while (writing) {
        await store.append(`device-d${n}`, toAppend(lifeOf(`d${n}`, n)), 'no_stream');
        await store.append(
          'device-d3',
          toAppend([
            { type: 'DeviceLabelsChanged', data: { deviceId: 'd3', tags: [`t${n}`], attributes: {} } },
          ]),
          'any',
        );
        n++;
      }
    })();
    const report = await rebuildTwin({ pool, store, tables, pageSize: 50 });
    writing = false;
    await writer;
    await projection.caughtUp();
    expect(report.swapped).toBe(true);
    expect((await rebuildTwin({ pool, store, tables, swap: false })).differences).toEqual({
      devices: 0,
      timeline: 0,
    });
    const d3 = await live.find('d3');
    expect(d3?.tags).toEqual([`t${n - 1}`]);
    // Index names follow the tables, so the next rebuild can create its `_next` tables again.
    const { rows: indexes } = await pool.query(
      `select indexname from pg_indexes where schemaname = $1 and indexname like '%_next%'`,
      [tables.schema],
    );
    expect(indexes).toEqual([]);
  });
});
