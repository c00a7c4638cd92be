import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '@fleet/core';
import type { RecordedEvent } from '@fleet/event-store';
import { parseInput } from '@fleet/observability';
import { createTestSchema } from '@fleet/testing';
import type { Pool } from 'pg';
import { groupTables } from '../../groups/group-projection/group-tables';
import { PostgresGroupStore } from '../../groups/group-projection/postgres-group-store';
import type { DeviceProvisionedData } from '../device';
import { PostgresTwinStore } from '../twin/postgres-twin.store';
import { twinTables, type TwinTables } from '../twin/twin-tables';
import { deviceCountsQuery, searchDevicesQuery, SORT_FIELDS, type SortField } from './device-query';
import { DeviceSearch, type DeviceSearchItem } from './device-search';

// A small fleet with a known history, projected through the real twin store, searched through the
// real SQL: every filter, sort and page is checked against a plain in-memory model of the fleet.

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const T1 = '2026-02-01T00:00:00.000Z';
const SUSPENDED_AT = '2026-02-10T00:00:00.000Z';
const UPGRADED_AT = '2026-02-15T00:00:00.000Z';
const RELABELLED_AT = '2026-02-20T00:00:00.000Z';
const T2 = '2026-03-01T00:00:00.000Z';
const FLEET = 40;

/** What the fleet looks like now, as the test expects the search to see it. */
interface Model {
  id: string;
  serial: string;
  manufacturer: string;
  model: string;
  firmware: string | null;
  status: string;
  region: string | null;
  tags: string[];
  lorawan: boolean;
  provisionedAt: string;
  updatedAt: string;
  lastSeen: Date | null;
  battery: number | null;
}

const pad = (i: number) => String(i).padStart(3, '0');
const idOf = (i: number) => `dev-${pad(i)}`;

let position = 0n;
function recorded(
  deviceId: string,
  revision: number,
  type: string,
  data: Record<string, unknown>,
  occurredAt: string,
  tenant = 'default',
): RecordedEvent {
  position += 1n;
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      actor: { type: 'operator', id: 'alice' },
      reason: type === 'DeviceSuspended' ? 'unpaid invoice' : null,
      occurredAt,
      correlationId: randomUUID(),
      causationId: randomUUID(),
      tenant,
    },
    stream: `device-${deviceId}`,
    revision: BigInt(revision),
    position: { commit: position, prepare: position },
    recordedAt: occurredAt,
  };
}

function provisioned(i: number, occurredAt: string, tenant = 'default'): RecordedEvent {
  const lorawan = i % 2 === 1;
  const data: DeviceProvisionedData = {
    deviceId: idOf(i),
    serial: `SN-${1000 + ((i * 7) % FLEET)}`,
    manufacturer: i % 2 === 0 ? 'Acme' : 'Globex',
    model: ['WM-200', 'WM-300', 'GM-10'][i % 3] as string,
    hardwareRevision: 'B',
    firmwareVersion: [`1.2.0`, '1.2.0', '1.3.0', null][i % 4] ?? null,
    deviceClass: lorawan
      ? {
          kind: 'lorawan',
          wakeIntervalSeconds: null,
          lorawanClass: 'A',
          devEui: `70B3D57ED00${pad(i)}A0`.slice(0, 16),
        }
      : { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
    region: i % 5 === 0 ? null : lorawan ? 'EU868' : 'US915',
    tags: [
      i % 2 === 0 ? 'site-north' : 'site-south',
      ...(i % 3 === 0 ? ['water'] : []),
      ...(i % 10 === 0 ? ['pilot'] : []),
    ],
    attributes: { floor: String(i % 4) },
    credential: {
      type: 'secret',
      secretHash: `scrypt$${pad(i)}`,
      certificateFingerprint: null,
      certificateNotAfter: null,
      appKeyCiphertext: null,
      kekId: null,
    },
  };
  return recorded(
    idOf(i),
    0,
    'DeviceProvisioned',
    data as unknown as Record<string, unknown>,
    occurredAt,
    tenant,
  );
}

/** The fleet's history, and the model of its current state. */
function fleetHistory(now: number): { events: RecordedEvent[]; model: Model[] } {
  const events: RecordedEvent[] = [];
  const model: Model[] = [];
  for (let i = 0; i < FLEET; i++) {
    const id = idOf(i);
    const provision = provisioned(i, new Date(T0 + i * 60_000).toISOString());
    const data = provision.data as unknown as DeviceProvisionedData;
    const stream = [provision];
    const device: Model = {
      id,
      serial: data.serial,
      manufacturer: data.manufacturer,
      model: data.model,
      firmware: data.firmwareVersion,
      status: 'provisioned',
      region: data.region,
      tags: [...data.tags],
      lorawan: data.deviceClass.kind === 'lorawan',
      provisionedAt: provision.metadata.occurredAt,
      updatedAt: provision.metadata.occurredAt,
      lastSeen: null,
      battery: null,
    };
    const add = (type: string, eventData: Record<string, unknown>, at: string) => {
      stream.push(recorded(id, stream.length, type, { deviceId: id, ...eventData }, at));
      device.updatedAt = at;
    };
    if (i % 3 !== 2) {
      add('DeviceActivated', {}, new Date(T0 + i * 60_000 + 3_600_000).toISOString());
      device.status = 'active';
    }
    if (i % 6 === 5) {
      add('DeviceSuspended', {}, SUSPENDED_AT);
      device.status = 'suspended';
    }
    if (i % 8 === 0) {
      add('FirmwareVersionChanged', { previousVersion: '1.2.0', firmwareVersion: '1.3.0' }, UPGRADED_AT);
      device.firmware = '1.3.0';
    }
    if (i % 9 === 4) {
      device.tags = [...device.tags, 'retrofit'];
      add('DeviceLabelsChanged', { tags: device.tags, attributes: { floor: 'roof' } }, RELABELLED_AT);
    }
    // Heard from (except every fifth device), in pairs with the same time and battery: ties.
    if (i % 5 !== 4) {
      device.lastSeen = new Date(now - (Math.floor(i / 2) * 7 + 1.5) * 60_000);
      device.battery = device.lorawan ? (i % 10) * 10 : null;
    }
    events.push(...stream);
    model.push(device);
  }
  return { events, model };
}

const online = (d: Model, now: number) =>
  d.lastSeen !== null && (now - d.lastSeen.getTime()) / 1000 <= Math.max(2 * (d.lorawan ? 3600 : 300), 120);

const ids = (devices: readonly { id: string }[]) => devices.map((d) => d.id).sort();
const itemIds = (items: readonly DeviceSearchItem[]) => items.map((d) => d.deviceId).sort();

describe('DeviceSearch (PostgreSQL)', () => {
  let db: { pool: Pool; schema: string; drop(): Promise<void> };
  let tables: TwinTables;
  let twins: PostgresTwinStore;
  let groups: PostgresGroupStore;
  let search: DeviceSearch;
  let fleet: Model[];

  const query = (q: Record<string, unknown>) => parseInput(searchDevicesQuery, q, 'query string');

  /** Every page of a search, following nextCursor; checks that the total holds on every page. */
  async function all(q: Record<string, unknown>): Promise<{ items: DeviceSearchItem[]; pages: number }> {
    const items: DeviceSearchItem[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let total: number | undefined;
    for (;;) {
      const page = await search.search(query({ ...q, ...(cursor ? { cursor } : {}) }));
      pages += 1;
      total ??= page.total;
      expect(page.total).toBe(total);
      items.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
      if (pages > 100) throw new Error('paging does not end');
    }
    expect(items).toHaveLength(total ?? 0);
    return { items, pages };
  }

  beforeAll(async () => {
    db = await createTestSchema('search');
    tables = twinTables(db.schema);
    twins = new PostgresTwinStore(db.pool, tables);
    await twins.ensureSchema();
    groups = new PostgresGroupStore(db.pool, groupTables(db.schema));
    await groups.ensureSchema();
    search = new DeviceSearch(db.pool, tables, groups);

    const now = Date.now();
    const history = fleetHistory(now);
    fleet = history.model;
    // In a few batches, as the projection's subscription would deliver them.
    for (let i = 0; i < history.events.length; i += 25)
      await twins.applyBatch(history.events.slice(i, i + 25));
    for (const d of fleet.filter((m) => m.lastSeen)) {
      await db.pool.query(
        `insert into ${tables.connectivity} (device_id, last_seen_at, battery_percent, rssi, snr, uplink_count)
         values ($1, $2, $3, -90, 7.5, 12)`,
        [d.id, d.lastSeen, d.battery],
      );
    }
    // Telemetry of a device the twin does not know: never a search result.
    await db.pool.query(
      `insert into ${tables.connectivity} (device_id, last_seen_at, battery_percent) values ('ghost', now(), 1)`,
    );
  });

  afterAll(() => db?.drop());

  describe('filters', () => {
    const cases: [string, Record<string, unknown>, (d: Model) => boolean][] = [
      ['manufacturer', { manufacturer: 'Acme' }, (d) => d.manufacturer === 'Acme'],
      ['model', { model: 'WM-300' }, (d) => d.model === 'WM-300'],
      ['serial', { serial: 'SN-1007' }, (d) => d.serial === 'SN-1007'],
      ['firmware', { firmware: '1.3.0' }, (d) => d.firmware === '1.3.0'],
      ['one tag', { tag: 'water' }, (d) => d.tags.includes('water')],
      [
        'every tag',
        { tag: ['water', 'site-north'] },
        (d) => d.tags.includes('water') && d.tags.includes('site-north'),
      ],
      ['a relabelled tag', { tag: 'retrofit' }, (d) => d.tags.includes('retrofit')],
      ['one status', { status: 'suspended' }, (d) => d.status === 'suspended'],
      [
        'any status',
        { status: ['provisioned', 'suspended'] },
        (d) => ['provisioned', 'suspended'].includes(d.status),
      ],
      ['region', { region: 'EU868' }, (d) => d.region === 'EU868'],
      ['battery below', { batteryBelow: '30' }, (d) => d.battery !== null && d.battery < 30],
      [
        'status and battery below',
        { status: 'active', batteryBelow: '50' },
        (d) => d.status === 'active' && d.battery !== null && d.battery < 50,
      ],
      ['online', { online: 'true' }, (d) => online(d, Date.now())],
      ['offline (never seen included)', { online: 'false' }, (d) => !online(d, Date.now())],
      ['no filter', {}, () => true],
    ];

    it.each(cases)('%s', async (_name, q, expected) => {
      const { items } = await all({ ...q, limit: '7' });
      const want = fleet.filter(expected);
      expect(want.length).toBeGreaterThan(0);
      expect(itemIds(items)).toEqual(ids(want));
    });

    it('lastSeenBefore / lastSeenAfter (absolute and relative), never-seen devices excluded', async () => {
      const now = Date.now();
      const cutoff = new Date(now - 40 * 60_000);
      const before = await all({ lastSeenBefore: cutoff.toISOString() });
      expect(itemIds(before.items)).toEqual(
        ids(fleet.filter((d) => d.lastSeen !== null && d.lastSeen < cutoff)),
      );
      const after = await all({ lastSeenAfter: 'PT40M' });
      expect(itemIds(after.items)).toEqual(
        ids(fleet.filter((d) => d.lastSeen !== null && d.lastSeen >= cutoff)),
      );
    });

    it('returns twins with their connectivity', async () => {
      const { items } = await search.search(query({ serial: fleet[1]!.serial }));
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        deviceId: fleet[1]!.id,
        serial: fleet[1]!.serial,
        status: 'active',
        connectivity: { batteryPercent: 10, rssi: -90, uplinkCount: 12, online: true },
      });
      expect(items[0]!.asOf).toBeUndefined();
    });

    it('filters by tenant when one is given', async () => {
      await twins.applyBatch([provisioned(90, '2026-01-05T00:00:00.000Z', 'other-tenant')]);
      try {
        expect(itemIds((await all({ tag: 'pilot' })).items)).toContain(idOf(90));
        const page = await search.search(query({ tag: 'pilot' }), 'other-tenant');
        expect(itemIds(page.items)).toEqual([idOf(90)]);
        expect(page.total).toBe(1);
      } finally {
        await db.pool.query(`delete from ${tables.devices} where device_id = $1`, [idOf(90)]);
        await db.pool.query(`delete from ${tables.timeline} where device_id = $1`, [idOf(90)]);
      }
    });
  });

  describe('sorting and keyset pages', () => {
    const key: Record<SortField, (d: Model) => string | number | null> = {
      deviceId: (d) => d.id,
      serial: (d) => d.serial,
      firmware: (d) => d.firmware,
      provisionedAt: (d) => d.provisionedAt,
      updatedAt: (d) => d.updatedAt,
      lastSeen: (d) => d.lastSeen?.getTime() ?? null,
      battery: (d) => d.battery,
    };

    /** Sort value, then device id, in the requested direction; no value last either way. */
    function expectedOrder(devices: Model[], sort: SortField, order: 'asc' | 'desc'): string[] {
      const sign = order === 'asc' ? 1 : -1;
      return [...devices]
        .sort((a, b) => {
          const x = key[sort](a);
          const y = key[sort](b);
          if (x === null || y === null) {
            if (x !== y) return x === null ? 1 : -1;
          } else if (x !== y) return (x < y ? -1 : 1) * sign;
          return (a.id < b.id ? -1 : 1) * sign;
        })
        .map((d) => d.id);
    }

    const combinations = SORT_FIELDS.flatMap((sort) =>
      (['asc', 'desc'] as const).map((order) => [sort, order] as const),
    );

    it.each(combinations)('sort=%s order=%s: every match exactly once, in order', async (sort, order) => {
      const { items, pages } = await all({ sort, order, limit: '3' });
      expect(pages).toBe(Math.ceil(FLEET / 3));
      expect(items.map((d) => d.deviceId)).toEqual(expectedOrder(fleet, sort, order));
    });

    it('with a filter, across the value and null segments', async () => {
      const { items } = await all({ sort: 'battery', order: 'desc', status: 'active', limit: '4' });
      expect(items.map((d) => d.deviceId)).toEqual(
        expectedOrder(
          fleet.filter((d) => d.status === 'active'),
          'battery',
          'desc',
        ),
      );
    });

    it('a device added while paging never duplicates or hides another', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; ; page++) {
        const result = await search.search(
          query({ sort: 'serial', limit: '5', ...(cursor ? { cursor } : {}) }),
        );
        seen.push(...result.items.map((d) => d.deviceId));
        if (page === 1) {
          // One sorting before the cursor (skipped), one after it (seen).
          await twins.applyBatch([
            provisioned(98, '2026-03-02T00:00:00.000Z'),
            provisioned(99, '2026-03-02T00:00:00.000Z'),
          ]);
          await db.pool.query(
            `update ${tables.devices} set serial = case device_id when $1 then 'SN-0000' else 'SN-9999' end
             where device_id in ($1, $2)`,
            [idOf(98), idOf(99)],
          );
        }
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      try {
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.filter((id) => id !== idOf(99)).sort()).toEqual(ids(fleet));
        expect(seen).toContain(idOf(99));
        expect(seen).not.toContain(idOf(98));
      } finally {
        await db.pool.query(`delete from ${tables.devices} where device_id = any($1)`, [
          [idOf(98), idOf(99)],
        ]);
        await db.pool.query(`delete from ${tables.timeline} where device_id = any($1)`, [
          [idOf(98), idOf(99)],
        ]);
      }
    });

    it('the last page has no cursor; limit bounds a page', async () => {
      const first = await search.search(query({ limit: '39' }));
      expect(first.items).toHaveLength(39);
      expect(first.nextCursor).not.toBeNull();
      const last = await search.search(query({ limit: '39', cursor: first.nextCursor }));
      expect(last.items.map((d) => d.deviceId)).toEqual([idOf(39)]);
      expect(last.nextCursor).toBeNull();
      expect((await search.search(query({ limit: '40' }))).nextCursor).toBeNull();
    });
  });

  describe('counts and ids', () => {
    it('counts per value with the same filters, most common first', async () => {
      const counts = await search.counts(
        parseInput(deviceCountsQuery, { by: 'firmware', manufacturer: 'Acme' }, 'q'),
        'firmware',
      );
      const acme = fleet.filter((d) => d.manufacturer === 'Acme');
      expect(counts.by).toBe('firmware');
      expect(counts.total).toBe(acme.length);
      const expected = new Map<string | null, number>();
      for (const d of acme) expected.set(d.firmware, (expected.get(d.firmware) ?? 0) + 1);
      expect(new Map(counts.counts.map((c) => [c.value, c.count]))).toEqual(expected);
      const numbers = counts.counts.map((c) => c.count);
      expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    });

    it('counts by status', async () => {
      const counts = await search.counts(parseInput(deviceCountsQuery, { by: 'status' }, 'q'), 'status');
      expect(counts.total).toBe(FLEET);
      expect(Object.fromEntries(counts.counts.map((c) => [c.value, c.count]))).toEqual({
        active: fleet.filter((d) => d.status === 'active').length,
        provisioned: fleet.filter((d) => d.status === 'provisioned').length,
        suspended: fleet.filter((d) => d.status === 'suspended').length,
      });
    });

    it('streams every matching id in pages', async () => {
      const pages: string[][] = [];
      for await (const page of search.ids(
        { filter: { region: 'US915' }, group: null, at: null },
        { pageSize: 4 },
      )) {
        pages.push(page);
      }
      const want = ids(fleet.filter((d) => d.region === 'US915'));
      expect(pages.flat()).toEqual(want);
      expect(pages.every((p) => p.length <= 4)).toBe(true);
      expect(pages).toHaveLength(Math.ceil(want.length / 4));
    });
  });

  describe('point in time', () => {
    const wasOn120 = (i: number) => i % 4 === 0 || i % 4 === 1;

    it('firmware 1.2.0 at T1 (before the upgrade) and at T2 (after it)', async () => {
      const atT1 = await all({ at: T1, firmware: '1.2.0', limit: '6' });
      expect(itemIds(atT1.items)).toEqual(ids(fleet.filter((_, i) => wasOn120(i))));
      const atT2 = await all({ at: T2, firmware: '1.2.0', limit: '6' });
      expect(itemIds(atT2.items)).toEqual(ids(fleet.filter((_, i) => wasOn120(i) && i % 8 !== 0)));
      const upgraded = await search.search(query({ at: T2, firmware: '1.3.0', tag: 'pilot' }));
      // Pilots: 0 (upgraded), 10 and 30 (shipped with 1.3.0); 20 still runs 1.2.0.
      expect(upgraded).toMatchObject({ at: T2, total: 3 });
      expect(itemIds(upgraded.items)).toEqual([idOf(0), idOf(10), idOf(30)]);
    });

    it('returns the facts as of that time beside the current twin', async () => {
      const { items, at } = await search.search(query({ at: T1, serial: fleet[8]!.serial }));
      expect(at).toBe(T1);
      expect(items).toHaveLength(1);
      const item = items[0]!;
      expect(item.firmwareVersion).toBe('1.3.0');
      // Device 8 was provisioned (never activated) and upgraded on UPGRADED_AT.
      expect(item.asOf).toEqual({
        version: 1,
        validFrom: new Date(T0 + 8 * 60_000).toISOString(),
        validTo: UPGRADED_AT,
        serial: fleet[8]!.serial,
        manufacturer: 'Acme',
        model: 'GM-10',
        firmwareVersion: '1.2.0',
        status: 'provisioned',
        region: 'US915',
        tags: ['site-north'],
      });
    });

    it('status and tags at a time; devices not yet provisioned do not match', async () => {
      const suspendedBefore = await search.search(query({ at: T1, status: 'suspended' }));
      expect(suspendedBefore.total).toBe(0);
      const suspendedAfter = await all({ at: T2, status: 'suspended' });
      expect(itemIds(suspendedAfter.items)).toEqual(ids(fleet.filter((d) => d.status === 'suspended')));
      const retrofit = await search.search(query({ at: T1, tag: 'retrofit' }));
      expect(retrofit.total).toBe(0);
      const early = await search.search(query({ at: new Date(T0 + 5.5 * 60_000).toISOString() }));
      expect(itemIds(early.items)).toEqual([0, 1, 2, 3, 4, 5].map(idOf));
    });

    it('sorts and pages at a time', async () => {
      const { items } = await all({ at: T2, sort: 'firmware', order: 'desc', limit: '7' });
      expect(items).toHaveLength(FLEET);
      const firmware = items.map((d) => d.asOf?.firmwareVersion ?? null);
      const withValue = firmware.filter((f) => f !== null);
      expect(withValue).toEqual([...withValue].sort().reverse());
      expect(firmware.slice(withValue.length).every((f) => f === null)).toBe(true);
    });

    it('refuses connectivity filters at a time from in-process callers too', async () => {
      await expect(
        search.counts({ filter: { batteryBelow: 10 }, group: null, at: T1 }, 'status'),
      ).rejects.toThrow(ValidationError);
    });

    it('counts at a time', async () => {
      const counts = await search.counts(
        parseInput(deviceCountsQuery, { by: 'firmware', at: T1 }, 'q'),
        'firmware',
      );
      expect(counts).toMatchObject({ at: T1, total: FLEET });
      expect(counts.counts.find((c) => c.value === '1.3.0')?.count).toBe(
        fleet.filter((_, i) => i % 4 === 2).length,
      );
    });
  });

  describe('groups', () => {
    let revision = 0;
    const groupEvent = (name: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
      ...recorded(name, revision, type, data, new Date().toISOString()),
      stream: `group-${name}`,
    });

    beforeAll(async () => {
      revision = 0;
      await groups.apply(
        groupEvent('north-water', 'GroupDefined', {
          name: 'north-water',
          kind: 'static',
          tag: 'water',
          query: null,
          description: 'water meters',
        }),
      );
      await groups.apply(
        groupEvent('low-battery', 'GroupDefined', {
          name: 'low-battery',
          kind: 'dynamic',
          tag: null,
          query: { batteryBelow: 40 },
          description: '',
        }),
      );
      await groups.apply(
        groupEvent('old-firmware', 'GroupDefined', {
          name: 'old-firmware',
          kind: 'dynamic',
          tag: null,
          query: { firmware: '1.2.0', status: ['active'] },
          description: '',
        }),
      );
    });

    it('a static group is its tag, combined with the other filters', async () => {
      const { items } = await all({ group: 'north-water', manufacturer: 'Acme' });
      expect(itemIds(items)).toEqual(
        ids(fleet.filter((d) => d.tags.includes('water') && d.manufacturer === 'Acme')),
      );
    });

    it('a dynamic group is its saved query, combined with the other filters', async () => {
      const { items } = await all({ group: 'low-battery', region: 'EU868' });
      expect(itemIds(items)).toEqual(
        ids(fleet.filter((d) => d.battery !== null && d.battery < 40 && d.region === 'EU868')),
      );
    });

    it('groups work at a point in time when their filters are historised', async () => {
      const atT1 = await all({ group: 'old-firmware', at: T1 });
      // At T1, firmware 1.2.0 and active (activated, not yet suspended).
      expect(itemIds(atT1.items)).toEqual(ids(fleet.filter((_, i) => wasOn(i) && i % 3 !== 2)));
      await expect(search.search(query({ group: 'low-battery', at: T1 }))).rejects.toThrow(ValidationError);
      await expect(search.search(query({ group: 'low-battery', at: T1 }))).rejects.toThrow(/batteryBelow/);
      function wasOn(i: number) {
        return i % 4 === 0 || i % 4 === 1;
      }
    });

    it('counts and ids resolve groups too', async () => {
      const counts = await search.counts({ filter: {}, group: 'north-water', at: null }, 'status');
      expect(counts.total).toBe(fleet.filter((d) => d.tags.includes('water')).length);
      const all: string[] = [];
      for await (const page of search.ids({ filter: {}, group: 'north-water', at: null })) all.push(...page);
      expect(all).toEqual(ids(fleet.filter((d) => d.tags.includes('water'))));
    });

    it('an unknown or deleted group is a 404', async () => {
      await expect(search.search(query({ group: 'nope' }))).rejects.toThrow(NotFoundError);
      await groups.apply({
        ...groupEvent('north-water', 'GroupDeleted', { name: 'north-water' }),
        revision: 1n,
      });
      await expect(search.search(query({ group: 'north-water' }))).rejects.toThrow(NotFoundError);
    });
  });
});
