import {
  compileWindow,
  isoDurationMinutes,
  openWindowEnd,
  parseWindowAttribute,
  type CompiledWindow,
} from './maintenance-window';

const window = (cron: string, durationMinutes: number, timezone = 'UTC'): CompiledWindow => {
  const compiled = compileWindow({ cron, durationMinutes, timezone });
  if ('problem' in compiled) throw new Error(compiled.problem);
  return compiled;
};
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('given a nightly window at 02:00 for two hours, then it is open from 02:00 to 04:00 only', () => {
    const nightly = window('0 2 * * *', 120);
    expect(openWindowEnd(nightly, at('2026-03-10T01:59:59Z'))).toBeNull();
    expect(openWindowEnd(nightly, at('2026-03-10T02:00:00Z'))).toBe(at('2026-03-10T04:00:00Z'));
    expect(openWindowEnd(nightly, at('2026-03-10T03:59:59Z'))).toBe(at('2026-03-10T04:00:00Z'));
    expect(openWindowEnd(nightly, at('2026-03-10T04:00:00Z'))).toBeNull();
  });

  it('given a window in a time zone, then it follows the zone across a daylight-saving change', () => {
    const amsterdam = window('0 2 * * *', 60, 'Europe/Amsterdam');
    // Winter: 02:00 in Amsterdam is 01:00 UTC; summer: 00:00 UTC.
    expect(openWindowEnd(amsterdam, at('2026-01-15T01:30:00Z'))).toBe(at('2026-01-15T02:00:00Z'));
    expect(openWindowEnd(amsterdam, at('2026-07-15T00:30:00Z'))).toBe(at('2026-07-15T01:00:00Z'));
    expect(openWindowEnd(amsterdam, at('2026-07-15T01:30:00Z'))).toBeNull();
  });

  it('given weekdays, ranges, steps and lists, then they match as cron does', () => {
    const weekends = window('0 0 * * 6,0', 24 * 60);
    expect(openWindowEnd(weekends, at('2026-03-14T12:00:00Z'))).not.toBeNull(); // Saturday
    expect(openWindowEnd(weekends, at('2026-03-16T12:00:00Z'))).toBeNull(); // Monday
    const quarterly = window('*/15 9-17 1 */3 *', 5);
    expect(openWindowEnd(quarterly, at('2026-04-01T09:47:00Z'))).toBe(at('2026-04-01T09:50:00Z'));
    expect(openWindowEnd(quarterly, at('2026-05-01T09:47:00Z'))).toBeNull();
  });

  it.each([
    ['0 2 * *', 60, 'UTC', /needs 5 fields/],
    ['0 24 * * *', 60, 'UTC', /hour "24": outside 0-23/],
    ['a 2 * * *', 60, 'UTC', /expected \*/],
    ['0 2 * * *', 0, 'UTC', /1 minute to 7 days/],
    ['0 2 * * *', 60, 'Mars/Olympus', /unknown time zone/],
  ])('given cron %s, %i minutes in %s, then it is refused', (cron, minutes, tz, reason) => {
    const compiled = compileWindow({ cron, durationMinutes: minutes, timezone: tz });
    expect('problem' in compiled && compiled.problem).toMatch(reason);
  });

  it('given a device attribute, then cron, ISO duration and zone are read from it', () => {
    const parsed = parseWindowAttribute('30 1 * * 1 PT1H30M Europe/Paris');
    expect(parsed).toMatchObject({ durationMinutes: 90, timezone: 'Europe/Paris' });
    expect(parseWindowAttribute('30 1 * * 1 90m')).toEqual({ problem: expect.stringContaining('ISO-8601') });
    expect(isoDurationMinutes('P1DT2H')).toBe(26 * 60);
    expect(isoDurationMinutes('PT')).toBeUndefined();
  });
});
