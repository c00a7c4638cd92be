import { offlineAfterSeconds } from '../twin/twin-view';
import { twinTables } from '../twin/twin-tables';
import { decodeCursor, encodeCursor } from './search-cursor';
import {
  countsStatement,
  countStatement,
  idsStatement,
  pageSegments,
  pageStatement,
  type PageRequest,
  type Selection,
} from './search-sql';

const tables = twinTables('s1');
const now = new Date('2026-03-08T12:00:00.000Z');
const current = (...filters: Selection['filters']): Selection => ({ filters, now, tenant: null, at: null });
const page = (overrides: Partial<PageRequest> = {}): PageRequest => ({
  sort: 'deviceId',
  order: 'asc',
  after: null,
  limit: 51,
  ...overrides,
});
/** The statement text on one line, single-spaced. */
const flat = (text: string) => text.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

describe('search SQL: filters', () => {
  it('turns each filter into a parameterised condition on the twin row', () => {
    const statement = countStatement(
      tables,
      current({
        manufacturer: "O'Brien & Sons",
        model: 'WM-200',
        serial: 'SN-1',
        firmware: '1.2.0',
        tag: ['water', 'north'],
        status: ['active', 'suspended'],
        region: 'EU868',
      }),
    );
    expect(flat(statement.text)).toBe(
      'select count(*)::int as total from s1.devices d where d.manufacturer = $1 and d.model = $2 ' +
        'and d.serial = $3 and d.firmware_version = $4 and d.tags @> $5::text[] ' +
        'and d.status = any($6::text[]) and d.region = $7',
    );
    expect(statement.values).toEqual([
      "O'Brien & Sons",
      'WM-200',
      'SN-1',
      '1.2.0',
      ['water', 'north'],
      ['active', 'suspended'],
      'EU868',
    ]);
  });

  it('compares a single status with = (index friendly)', () => {
    expect(flat(countStatement(tables, current({ status: ['active'] })).text)).toContain('d.status = $1');
  });

  it('joins connectivity only for connectivity filters, resolving relative times against now', () => {
    const statement = countStatement(
      tables,
      current({ lastSeenBefore: 'P1D', lastSeenAfter: '2026-01-01T00:00:00.000Z', batteryBelow: 20 }),
    );
    expect(flat(statement.text)).toBe(
      'select count(*)::int as total from s1.devices d left join s1.connectivity c on c.device_id = d.device_id ' +
        'where c.last_seen_at < $1::timestamptz and c.last_seen_at >= $2::timestamptz ' +
        'and c.battery_percent < $3::real',
    );
    expect(statement.values).toEqual(['2026-03-07T12:00:00.000Z', '2026-01-01T00:00:00.000Z', 20]);
  });

  it('online follows the twin rule max(2 × expected interval, 120 s); offline includes never seen', () => {
    const online = countStatement(tables, current({ online: true }));
    expect(flat(online.text)).toContain(
      'where c.last_seen_at >= $1::timestamptz - make_interval(secs => greatest(2 * d.expected_interval_s, 120))',
    );
    expect(online.values).toEqual([now.toISOString()]);
    expect(flat(countStatement(tables, current({ online: false })).text)).toContain(
      '(c.last_seen_at is null or c.last_seen_at < $1::timestamptz - make_interval(',
    );
    for (const interval of [10, 60, 61, 300, 3600]) {
      expect(offlineAfterSeconds(interval)).toBe(Math.max(2 * interval, 120));
    }
  });

  it('ANDs several filters (request and group) and a tenant', () => {
    const statement = countStatement(tables, {
      ...current({ firmware: '1.2.0' }, { tag: ['north'] }),
      tenant: 'acme',
    });
    expect(flat(statement.text)).toBe(
      'select count(*)::int as total from s1.devices d where d.tenant = $1 and d.firmware_version = $2 ' +
        'and d.tags @> $3::text[]',
    );
    expect(statement.values).toEqual(['acme', '1.2.0', ['north']]);
  });

  it('conflicting filters simply match nothing', () => {
    const statement = countStatement(tables, current({ firmware: '1.2.0' }, { firmware: '1.3.0' }));
    expect(flat(statement.text)).toContain('d.firmware_version = $1 and d.firmware_version = $2');
  });
});

describe('search SQL: keyset pages', () => {
  it('pages by device id with a plain range', () => {
    const first = pageStatement(tables, current(), page(), 'values');
    expect(flat(first.text)).toBe(
      'select p.device_id, d.view, c.last_seen_at, c.battery_percent, c.rssi, c.snr, c.uplink_count, ' +
        'c.downlink_count, c.airtime_window_start, c.airtime_ms, p.sort_key as sort_value ' +
        'from (select d.device_id as device_id, d.device_id as sort_key from s1.devices d ' +
        'order by d.device_id asc limit $1::int) p ' +
        'join s1.devices d on d.device_id = p.device_id left join s1.connectivity c on c.device_id = p.device_id ' +
        'order by p.device_id asc',
    );
    expect(first.values).toEqual([51]);
    const next = pageStatement(
      tables,
      current(),
      page({ order: 'desc', after: { value: 'd-9', deviceId: 'd-9' } }),
      'values',
    );
    expect(flat(next.text)).toContain('where d.device_id < $1 order by d.device_id desc limit $2::int');
    expect(next.values).toEqual(['d-9', 51]);
  });

  it('pages by (sort value, device id) row comparison, in the direction of the order', () => {
    const after = { value: '2026-03-01T10:00:00.123456Z', deviceId: 'd-7' };
    const asc = pageStatement(
      tables,
      current({ status: ['active'] }),
      page({ sort: 'lastSeen', after }),
      'values',
    );
    expect(flat(asc.text)).toContain(
      'to_char(p.sort_key at time zone \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') as sort_value',
    );
    expect(flat(asc.text)).toContain(
      'from s1.devices d left join s1.connectivity c on c.device_id = d.device_id where d.status = $1 ' +
        'and c.last_seen_at is not null and (c.last_seen_at, d.device_id) > ($2::timestamptz, $3) ' +
        'order by c.last_seen_at asc, d.device_id asc limit $4::int',
    );
    expect(flat(asc.text)).toMatch(/order by p\.sort_key asc, p\.device_id asc$/);
    expect(asc.values).toEqual(['active', after.value, 'd-7', 51]);
    const desc = pageStatement(
      tables,
      current(),
      page({ sort: 'battery', order: 'desc', after: { value: '12.5', deviceId: 'd-3' } }),
      'values',
    );
    expect(flat(desc.text)).toContain(
      '(c.battery_percent, d.device_id) < ($1::real, $2) order by c.battery_percent desc, d.device_id desc',
    );
    expect(flat(desc.text)).toContain('p.sort_key::text as sort_value');
  });

  it('puts rows without a sort value last, ordered by device id, in their own segment', () => {
    expect(pageSegments('deviceId', null)).toEqual(['values']);
    expect(pageSegments('serial', { value: 'SN', deviceId: 'd' })).toEqual(['values']);
    expect(pageSegments('firmware', null)).toEqual(['values', 'nulls']);
    expect(pageSegments('lastSeen', { value: '2026-01-01T00:00:00.000000Z', deviceId: 'd' })).toEqual([
      'values',
      'nulls',
    ]);
    expect(pageSegments('battery', { value: null, deviceId: 'd' })).toEqual(['nulls']);

    const nullsFromStart = pageStatement(tables, current(), page({ sort: 'firmware' }), 'nulls');
    expect(flat(nullsFromStart.text)).toContain(
      'where d.firmware_version is null order by d.device_id asc limit $1::int',
    );
    const nullsAfter = pageStatement(
      tables,
      current(),
      page({ sort: 'firmware', order: 'desc', after: { value: null, deviceId: 'd-5' } }),
      'nulls',
    );
    expect(flat(nullsAfter.text)).toContain(
      'where d.firmware_version is null and d.device_id < $1 order by d.device_id desc limit $2::int',
    );
    // A cursor with a value has not reached the null segment: it starts at its beginning.
    const nullsAfterValues = pageStatement(
      tables,
      current(),
      page({ sort: 'firmware', after: { value: '1.2.0', deviceId: 'd-5' } }),
      'nulls',
    );
    expect(nullsAfterValues.values).toEqual([51]);
    expect(() => pageStatement(tables, current(), page({ sort: 'serial' }), 'nulls')).toThrow(
      /no null segment/,
    );
    // Never heard from = no connectivity row: an anti-join, walked in device id order.
    expect(flat(pageStatement(tables, current(), page({ sort: 'lastSeen' }), 'nulls').text)).toContain(
      'left join s1.connectivity c on c.device_id = d.device_id where c.device_id is null order by d.device_id asc',
    );
  });
});

describe('search SQL: point in time', () => {
  const at = new Date('2026-01-15T00:00:00.000Z');
  const past = (...filters: Selection['filters']): Selection => ({ filters, now, at, tenant: null });

  it('matches the timeline period valid at the time, on the facts it recorded', () => {
    const statement = countStatement(tables, past({ firmware: '1.2.0', tag: ['north'], status: ['active'] }));
    expect(flat(statement.text)).toBe(
      'select count(*)::int as total from s1.timeline t where t.valid_from <= $1::timestamptz ' +
        'and (t.valid_to is null or t.valid_to > $1::timestamptz) and t.firmware_version = $2 ' +
        'and t.tags @> $3::text[] and t.status = $4',
    );
    expect(statement.values).toEqual([at.toISOString(), '1.2.0', ['north'], 'active']);
  });

  it('pages over periods and returns each as as_of_* beside the current twin', () => {
    const statement = pageStatement(
      tables,
      past({ model: 'WM-200' }),
      page({ sort: 'serial', after: { value: 'SN-5', deviceId: 'd-5' } }),
      'values',
    );
    const text = flat(statement.text);
    expect(text).toContain(
      'select t.device_id as device_id, t.serial as sort_key, t.version as as_of_version',
    );
    expect(text).toContain('(t.serial, t.device_id) > ($3::text, $4) order by t.serial asc, t.device_id asc');
    expect(text).toContain('p.as_of_firmware_version');
    expect(text).toContain('join s1.devices d on d.device_id = p.device_id');
    expect(statement.values).toEqual([at.toISOString(), 'WM-200', 'SN-5', 'd-5', 51]);
  });

  it('joins the current twin for a tenant or a sort on provisioning time', () => {
    expect(flat(countStatement(tables, { ...past(), tenant: 'acme' }).text)).toContain(
      'from s1.timeline t join s1.devices d on d.device_id = t.device_id where',
    );
    expect(flat(pageStatement(tables, past(), page({ sort: 'provisionedAt' }), 'values').text)).toContain(
      'order by d.provisioned_at asc, t.device_id asc',
    );
  });

  it('refuses sorts that have no value at a point in time', () => {
    expect(() => pageStatement(tables, past(), page({ sort: 'lastSeen' }), 'values')).toThrow(
      /point in time/,
    );
  });
});

describe('search SQL: counts and ids', () => {
  it('groups by the requested fact, most common first', () => {
    const statement = countsStatement(tables, current({ model: 'WM-200' }), 'firmware');
    expect(flat(statement.text)).toBe(
      'select d.firmware_version as value, count(*)::int as count from s1.devices d where d.model = $1 ' +
        'group by 1 order by 2 desc, 1 asc nulls last',
    );
    expect(flat(countsStatement(tables, { ...current(), at: now }, 'status').text)).toContain(
      'select t.status as value',
    );
  });

  it('streams ids in device id order after the last one', () => {
    const statement = idsStatement(tables, current({ tag: ['north'] }), 'd-100', 1000);
    expect(flat(statement.text)).toBe(
      'select d.device_id from s1.devices d where d.tags @> $1::text[] and d.device_id > $2 ' +
        'order by d.device_id limit $3::int',
    );
    expect(statement.values).toEqual([['north'], 'd-100', 1000]);
  });
});

describe('search cursor', () => {
  it('round-trips and stays opaque (base64url)', () => {
    const cursor = encodeCursor('battery', 'asc', { value: null, deviceId: 'dév/1' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'battery', 'asc')).toEqual({ value: null, deviceId: 'dév/1' });
    expect(
      decodeCursor(Buffer.from('{"s":"battery","o":"asc","v":1}').toString('base64url'), 'battery', 'asc'),
    ).toMatch(/not a cursor/);
  });
});
