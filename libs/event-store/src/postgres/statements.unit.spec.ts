import { assertSchemaName } from './schema.sql';
import { streamFilter } from '../shared/stream-filter';
import { PostgresStatements, prefixPattern } from './statements';

describe('prefixPattern', () => {
  it('matches the prefix literally', () => {
    expect(prefixPattern('device-')).toBe('device-%');
    expect(prefixPattern('a_b%c\\')).toBe('a\\_b\\%c\\\\%');
  });
});

describe('assertSchemaName', () => {
  it('accepts plain identifiers only, since schema names are interpolated into SQL', () => {
    expect(() => assertSchemaName('event_store')).not.toThrow();
    for (const bad of ['Event', 'a-b', 'x; drop table y', '', '1abc'])
      expect(() => assertSchemaName(bad)).toThrow();
  });
});

describe('PostgresStatements.readStream', () => {
  const sql = new PostgresStatements('event_store');

  it('reads a slice by the (stream, revision) index without filters', () => {
    const query = sql.readStream('device-1', 5n, 100);
    expect(query.name).toBe('fleet_es_event_store_read_stream');
    expect(query.values).toEqual(['device-1', '5', 100]);
    expect(query.text).toMatch(
      /where stream = \$1 and revision >= \$2::bigint\s+order by revision limit \$3$/,
    );
  });

  it('adds one condition per filter, numbered after the slice, in one statement per combination', () => {
    const filter = streamFilter({
      types: ['Suspended'],
      actorId: 'alice',
      occurredFrom: '2025-01-01T01:00:00+01:00',
      occurredTo: '2025-01-02T00:00:00Z',
    });
    const query = sql.readStream('device-1', 0n, 11, filter);
    expect(query.name).toBe('fleet_es_event_store_read_stream_tafu');
    expect(query.values).toEqual([
      'device-1',
      '0',
      11,
      ['Suspended'],
      'alice',
      '2025-01-01T00:00:00.000Z',
      '2025-01-02T00:00:00.000Z',
    ]);
    expect(query.text).toContain('$4::text[] @> array[type]');
    expect(query.text).toContain("metadata->'actor'->>'id' = $5");
    expect(query.text).toContain("(metadata->>'occurredAt')::timestamptz >= $6::timestamptz");
    expect(query.text).toContain("(metadata->>'occurredAt')::timestamptz <= $7::timestamptz");

    const toOnly = sql.readStream('device-1', 0n, null, streamFilter({ occurredTo: '2025-01-02T00:00:00Z' }));
    expect(toOnly.name).toBe('fleet_es_event_store_read_stream_u');
    expect(toOnly.text).toContain("(metadata->>'occurredAt')::timestamptz <= $4::timestamptz");
    expect(toOnly.text).not.toContain('$5');
  });
});
