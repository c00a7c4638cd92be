import type { DeviceFacts } from '../devices/device-facts';
import { deviceQuerySchema, inScope, scopeSchema } from './scope';

const device: DeviceFacts = {
  deviceId: 'meter-1',
  status: 'active',
  manufacturer: 'acme',
  model: 'WM-200',
  firmwareVersion: '1.2.0',
  region: 'EU868',
  deviceClass: { kind: 'lorawan', wakeIntervalSeconds: null },
  tags: ['north', 'water'],
  attributes: { site: 'depot' },
  desired: {},
  reported: {},
  driftSince: {},
  campaign: null,
  revision: 3,
};

describe('rule scopes', () => {
  it('given a query string, when parsed, then repeated tags and attributes become lists and maps', () => {
    expect(
      deviceQuerySchema.parse('model=WM-200&tag=north&tag=water&attribute.site=depot&status=active'),
    ).toEqual({
      model: 'WM-200',
      tag: ['north', 'water'],
      attributes: { site: 'depot' },
      status: ['active'],
    });
  });

  it.each([
    ['an unknown field', { colour: 'red' }, /unknown query field colour/],
    ['an unknown status', { status: 'sleeping' }, /status/],
    ['an empty query', {}, /a query needs at least one of/],
    ['a single value given twice', 'model=a&model=b', /model/],
  ])('given %s, when parsed, then it is refused', (_, query, reason) => {
    const result = deviceQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(reason);
  });

  it('given each kind of scope, when a device is matched, then only its facts decide', () => {
    const query = (q: unknown) => scopeSchema.parse({ type: 'query', query: q });
    expect(inScope({ type: 'fleet' }, null)).toBe(true);
    expect(inScope({ type: 'group', tag: 'north' }, device)).toBe(true);
    expect(inScope({ type: 'group', tag: 'south' }, device)).toBe(false);
    expect(inScope({ type: 'group', tag: 'north' }, null)).toBe(false);
    expect(inScope(query('tag=north&tag=water&deviceClass=lorawan&region=EU868'), device)).toBe(true);
    expect(inScope(query('tag=north&tag=gas'), device)).toBe(false);
    expect(inScope(query({ attributes: { site: 'plant' } }), device)).toBe(false);
    expect(inScope(query({ deviceId: ['meter-1', 'meter-2'], firmware: '1.2.0' }), device)).toBe(true);
  });
});
