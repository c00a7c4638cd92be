import { parseInteger, parseIsoTime, parsePercent } from './parse';

describe('fleetctl parse', () => {
  it.each([
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2025-03-01T12:00:00Z', '2025-03-01T12:00:00.000Z'],
    ['2025-03-01T12:00Z', '2025-03-01T12:00:00.000Z'],
    ['2025-03-01T12:00:00.5+01:00', '2025-03-01T11:00:00.500Z'],
    ['2025-03-01T00:30:00-02:00', '2025-03-01T02:30:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseIsoTime(input)).toBe(expected);
  });

  it.each([
    ['yesterday', /not an ISO 8601 time/],
    ['01/03/2025', /not an ISO 8601 time/],
    ['2025-03-01T12:00:00', /no time zone/],
    ['2025-13-01', /not a valid date/],
    ['2025-02-30', /not a valid date/],
    ['2025-03-01T25:00:00Z', /not a valid date/],
  ])('rejects %s', (input, problem) => {
    expect(() => parseIsoTime(input)).toThrow(problem);
  });

  it('reads whole numbers and percentages', () => {
    expect(parseInteger('20')).toBe(20);
    expect(() => parseInteger('0')).toThrow(/at least 1/);
    expect(() => parseInteger('2.5')).toThrow(/whole number/);
    expect(() => parseInteger('ten')).toThrow(/whole number/);
    expect(parsePercent('12.5')).toBe(12.5);
    expect(() => parsePercent('101')).toThrow(/between 0 and 100/);
    expect(() => parsePercent('')).toThrow(/between 0 and 100/);
  });
});
