import { assertSchemaName } from './schema.sql';
import { prefixPattern } from './statements';

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
