import { ValidationError } from '@fleet/core';
import { type FilterableEvent, matchesStreamFilter, streamFilter } from './stream-filter';

const event = (type: string, actor: string, occurredAt: string): FilterableEvent => ({
  type,
  metadata: { actor: { id: actor }, occurredAt },
});

describe('streamFilter', () => {
  it('is undefined without filters, an empty type list included', () => {
    expect(streamFilter({})).toBeUndefined();
    expect(streamFilter({ fromRevision: 3n, maxCount: 2, types: [] })).toBeUndefined();
  });

  it('parses the time bounds into epoch milliseconds', () => {
    expect(
      streamFilter({ occurredFrom: '2025-01-01T01:00:00+01:00', occurredTo: '2025-01-02T00:00:00Z' }),
    ).toEqual({
      types: undefined,
      actorId: undefined,
      occurredFrom: Date.UTC(2025, 0, 1),
      occurredTo: Date.UTC(2025, 0, 2),
    });
  });

  it('refuses a bound that is not an instant', () => {
    expect(() => streamFilter({ occurredFrom: 'yesterday' })).toThrow(ValidationError);
    expect(() => streamFilter({ occurredTo: '' })).toThrow(/occurredTo must be an ISO-8601 instant/);
  });
});

describe('matchesStreamFilter', () => {
  const e = event('Suspended', 'alice', '2025-01-03T00:00:00.000Z');
  const matches = (options: Parameters<typeof streamFilter>[0], ev: FilterableEvent = e): boolean =>
    matchesStreamFilter(ev, streamFilter(options)!);

  it('checks the type against any of the given ones and the actor id exactly', () => {
    expect(matches({ types: ['Resumed', 'Suspended'] })).toBe(true);
    expect(matches({ types: ['Resumed'] })).toBe(false);
    expect(matches({ actorId: 'alice' })).toBe(true);
    expect(matches({ actorId: 'Alice' })).toBe(false);
  });

  it('keeps both time bounds inclusive and compares instants, not strings', () => {
    expect(matches({ occurredFrom: '2025-01-03T00:00:00Z', occurredTo: '2025-01-03T00:00:00.000Z' })).toBe(
      true,
    );
    expect(matches({ occurredFrom: '2025-01-03T00:00:00.001Z' })).toBe(false);
    expect(matches({ occurredTo: '2025-01-02T23:59:59.999Z' })).toBe(false);
    expect(matches({ occurredFrom: '2025-01-03T01:00:00+01:00' })).toBe(true);
    expect(matches({ occurredTo: '2025-01-02T20:00:00-04:00' })).toBe(true);
  });

  it('needs every filter to hold', () => {
    expect(matches({ types: ['Suspended'], actorId: 'alice', occurredTo: '2025-01-04T00:00:00Z' })).toBe(
      true,
    );
    expect(matches({ types: ['Suspended'], actorId: 'bob' })).toBe(false);
    expect(matches({ actorId: 'alice', occurredFrom: '2025-01-04T00:00:00Z' })).toBe(false);
  });

  it('lets an event without a usable occurredAt or actor fail those filters only', () => {
    const bare: FilterableEvent = { type: 'Legacy', metadata: {} };
    expect(matches({ types: ['Legacy'] }, bare)).toBe(true);
    expect(matches({ actorId: 'alice' }, bare)).toBe(false);
    expect(matches({ occurredFrom: '2000-01-01T00:00:00Z' }, bare)).toBe(false);
    expect(matches({ occurredTo: '2100-01-01T00:00:00Z' }, event('X', 'a', 'not a date'))).toBe(false);
  });
});
