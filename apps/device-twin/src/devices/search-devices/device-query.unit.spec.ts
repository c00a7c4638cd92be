import { ValidationError } from '@fleet/core';
import { parseInput } from '@fleet/observability';
import {
  deviceCountsQuery,
  deviceFilterSchema,
  durationMs,
  groupDevicesQuery,
  queryStringToObject,
  resolveTime,
  searchDevicesQuery,
} from './device-query';
import { encodeCursor } from './search-cursor';

const parse = (query: Record<string, unknown>) => parseInput(searchDevicesQuery, query, 'query string');

function issuesOf(run: () => unknown): Record<string, string> {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.details['issues'] as { path: string; message: string }[];
    return Object.fromEntries(issues.map((issue) => [issue.path, issue.message]));
  }
  throw new Error('expected a ValidationError');
}

describe('search query string', () => {
  it('defaults: every device, by device id ascending, 50 per page', () => {
    expect(parse({})).toEqual({
      filter: {},
      group: null,
      at: null,
      sort: 'deviceId',
      order: 'asc',
      limit: 50,
      after: null,
    });
  });

  it('parses every filter from query-string values', () => {
    const query = parse({
      manufacturer: 'Acme',
      model: ' WM-200 ',
      serial: 'SN-1',
      firmware: '1.2.0',
      tag: ['water', 'north', 'water'],
      status: ['active', 'suspended'],
      region: 'EU868',
      lastSeenBefore: '2026-03-01T12:00:00+01:00',
      lastSeenAfter: '2026-02-01',
      batteryBelow: '20.5',
      online: 'false',
      group: 'north-meters',
      sort: 'lastSeen',
      order: 'desc',
      limit: '500',
    });
    expect(query).toEqual({
      filter: {
        manufacturer: 'Acme',
        model: 'WM-200',
        serial: 'SN-1',
        firmware: '1.2.0',
        tag: ['water', 'north'],
        status: ['active', 'suspended'],
        region: 'EU868',
        lastSeenBefore: '2026-03-01T11:00:00.000Z',
        lastSeenAfter: '2026-02-01T00:00:00.000Z',
        batteryBelow: 20.5,
        online: false,
      },
      group: 'north-meters',
      at: null,
      sort: 'lastSeen',
      order: 'desc',
      limit: 500,
      after: null,
    });
  });

  it('takes a single tag or status as a one-element list', () => {
    expect(parse({ tag: 'water', status: 'active' }).filter).toEqual({ tag: ['water'], status: ['active'] });
  });

  it('keeps durations relative: lastSeenBefore=P7D is seven days before now', () => {
    const query = parse({ lastSeenBefore: 'p7d', lastSeenAfter: 'PT36H' });
    expect(query.filter).toEqual({ lastSeenBefore: 'P7D', lastSeenAfter: 'PT36H' });
    const now = new Date('2026-03-08T00:00:00Z');
    expect(resolveTime('P7D', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(resolveTime('2026-01-01T00:00:00.000Z', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(durationMs('P1W')).toBe(7 * 86_400_000);
    expect(durationMs('P1DT2H3M4S')).toBe(86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000);
    expect(durationMs('P1M')).toBeUndefined();
    expect(durationMs('PT')).toBeUndefined();
  });

  it('names each bad field', () => {
    expect(
      issuesOf(() =>
        parse({
          status: ['active', 'sleeping'],
          region: 'EU433',
          batteryBelow: '120',
          online: 'yes',
          lastSeenBefore: 'yesterday',
          lastSeenAfter: '2026-02-30',
          sort: 'name',
          order: 'up',
          limit: '0',
          firmware: '',
          group: 'North Meters',
        }),
      ),
    ).toEqual({
      'status.1': 'must be one of provisioned, active, suspended, quarantined, decommissioned',
      region: 'must be one of EU868, US915, AS923',
      batteryBelow: 'must be between 0 and 100',
      online: 'must be true or false',
      lastSeenBefore: expect.stringMatching(/^must be an ISO-8601 time/),
      lastSeenAfter: expect.stringMatching(/^must be an ISO-8601 time/),
      sort: 'must be one of deviceId, serial, lastSeen, battery, provisionedAt, updatedAt, firmware',
      order: 'must be one of asc, desc',
      limit: 'must be an integer between 1 and 500',
      firmware: 'must not be empty',
      group: 'a group name: lower-case letters, digits and -, 1 to 64 characters',
    });
  });

  it('rejects limits that are not integers in range', () => {
    expect(issuesOf(() => parse({ limit: '501' }))).toEqual({
      limit: 'must be an integer between 1 and 500',
    });
    expect(issuesOf(() => parse({ limit: '2.5' }))).toEqual({
      limit: 'must be an integer between 1 and 500',
    });
    expect(issuesOf(() => parse({ limit: 'ten' }))).toEqual({
      limit: 'must be an integer between 1 and 500',
    });
  });

  it('rejects a single-valued parameter given twice', () => {
    expect(issuesOf(() => parse({ firmware: ['1.2.0', '1.3.0'], sort: ['serial', 'deviceId'] }))).toEqual({
      firmware: 'give this parameter at most once',
      sort: 'give this parameter at most once',
    });
  });

  it('rejects unknown parameters by name', () => {
    const error = issuesOf(() => parse({ firmwareVersion: '1.2.0', page: '2' }));
    expect(error['(root)']).toMatch(
      /^unknown parameters firmwareVersion, page; allowed: manufacturer, model/,
    );
  });

  it('with at, allows identity and lifecycle filters and historical sorts only', () => {
    expect(
      parse({ at: '2026-01-01T00:00:00Z', firmware: '1.2.0', tag: 'water', sort: 'serial' }),
    ).toMatchObject({
      at: '2026-01-01T00:00:00.000Z',
      filter: { firmware: '1.2.0', tag: ['water'] },
    });
    const issues = issuesOf(() =>
      parse({ at: '2026-01-01T00:00:00Z', batteryBelow: '10', online: 'true', sort: 'lastSeen' }),
    );
    expect(Object.keys(issues).sort()).toEqual(['batteryBelow', 'online', 'sort']);
    expect(issues['batteryBelow']).toMatch(/not historised/);
    expect(issues['sort']).toMatch(/^lastSeen has no value at a point in time/);
  });

  it('decodes a cursor made for the same sort and order, and refuses others', () => {
    const cursor = encodeCursor('lastSeen', 'desc', {
      value: '2026-01-01T00:00:00.000000Z',
      deviceId: 'd-1',
    });
    expect(parse({ sort: 'lastSeen', order: 'desc', cursor }).after).toEqual({
      value: '2026-01-01T00:00:00.000000Z',
      deviceId: 'd-1',
    });
    expect(issuesOf(() => parse({ sort: 'lastSeen', cursor }))['cursor']).toMatch(
      /belongs to sort=lastSeen&order=desc/,
    );
    expect(issuesOf(() => parse({ cursor: 'not a cursor!' }))['cursor']).toMatch(
      /not a cursor this API issued/,
    );
    expect(issuesOf(() => parse({ cursor: 'bm9wZQ' }))['cursor']).toMatch(/not a cursor this API issued/);
  });

  it('group devices: the search parameters without group', () => {
    expect(parseInput(groupDevicesQuery, { status: 'active' }, 'query string').filter).toEqual({
      status: ['active'],
    });
    expect(issuesOf(() => parseInput(groupDevicesQuery, { group: 'x' }, 'query string'))['(root)']).toMatch(
      /^unknown parameter group;/,
    );
  });
});

describe('device counts query string', () => {
  it('needs by, takes the filters, not paging', () => {
    expect(parseInput(deviceCountsQuery, { by: 'firmware', model: 'WM-200' }, 'query string')).toEqual({
      by: 'firmware',
      filter: { model: 'WM-200' },
      group: null,
      at: null,
    });
    expect(issuesOf(() => parseInput(deviceCountsQuery, {}, 'query string'))).toEqual({ by: 'Required' });
    expect(issuesOf(() => parseInput(deviceCountsQuery, { by: 'colour' }, 'query string'))).toEqual({
      by: 'must be one of status, firmware, model, manufacturer, region',
    });
    expect(
      issuesOf(() => parseInput(deviceCountsQuery, { by: 'status', sort: 'serial' }, 'query string')),
    ).toEqual({ '(root)': expect.stringMatching(/^unknown parameter sort;/) });
    expect(
      Object.keys(
        issuesOf(() => parseInput(deviceCountsQuery, { by: 'status', at: 'P1D', online: 'true' }, 'q')),
      ),
    ).toEqual(['online']);
  });
});

describe('saved filter of a dynamic group', () => {
  it('takes JSON values as well as query-string values, normalised alike', () => {
    const fromJson = deviceFilterSchema.parse({
      status: ['active'],
      batteryBelow: 20,
      online: false,
      tag: 'x',
    });
    const fromQuery = deviceFilterSchema.parse(
      queryStringToObject('status=active&batteryBelow=20&online=false&tag=x'),
    );
    expect(fromJson).toEqual({ status: ['active'], batteryBelow: 20, online: false, tag: ['x'] });
    expect(fromQuery).toEqual(fromJson);
  });

  it('cannot name a group, sort or page', () => {
    const result = deviceFilterSchema.safeParse({ group: 'other', sort: 'serial' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^unknown parameters group, sort;/);
  });
});
