import { assertSchemaName } from './schema.sql';
import { streamFilter } from '../shared/stream-filter';
import { copyField } from './bulk-read';
import { PostgresStatements, prefixPattern, sqlLiteral } from './statements';

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

describe('sqlLiteral', () => {
  it('quotes strings for statements that take no parameters, whatever standard_conforming_strings says', () => {
    expect(sqlLiteral('device-%')).toBe("'device-%'");
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral('a\\_b%')).toBe("E'a\\\\_b%'");
  });
});

describe('PostgresStatements.bulkRead', () => {
  const sql = new PostgresStatements('event_store');

  it('copies the events up to the end position, by stream through the (stream, revision) index', () => {
    const text = sql.bulkRead(42n, 7n, ['device-', "o'd_"], 'stream');
    expect(text).toMatch(/^copy \(select stream, revision, type, data, metadata from event_store\.events/);
    expect(text).toContain("where (tx_id, position) <= ('42'::xid8, 7::bigint)");
    expect(text).toContain("stream like any(array['device-%', E'o''d\\\\_%']::text[])");
    expect(text).toMatch(/order by stream, revision\) to stdout$/);
  });

  it('reads every stream without prefixes, in the log order on request', () => {
    const text = sql.bulkRead(1n, 2n, undefined, 'global');
    expect(text).not.toContain('like');
    expect(text).toMatch(/order by tx_id, position\) to stdout$/);
  });
});

describe('copyField', () => {
  it("undoes COPY's text escapes", () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\tb\\nc\\\\d\\re')).toBe('a\tb\nc\\d\re');
    expect(copyField('{"q": "say \\\\"hi\\\\""}')).toBe('{"q": "say \\"hi\\""}');
  });
});
