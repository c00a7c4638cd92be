import { HOUR_MS, hourlyRates, recordUplink, type RateWindow } from './rate-window';

const hour = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS);

describe('sliding-hour rates', () => {
  it('given uplinks in one hour, then the rate is their count and air time their sum', () => {
    let w: RateWindow | undefined;
    for (let i = 0; i < 4; i++) w = recordUplink(w, hour + i * 60_000, 900);
    expect(hourlyRates(w!, hour + 5 * 60_000)).toEqual({
      uplinksPerHour: 4,
      airtimeMsPerHour: 3_600,
      dutyCyclePercent: 0.1,
    });
  });

  it('given a full previous hour, when a quarter of the next has passed, then three quarters of it still count', () => {
    let w: RateWindow | undefined;
    for (let i = 0; i < 40; i++) w = recordUplink(w, hour + i * 60_000, null);
    w = recordUplink(w, hour + HOUR_MS + 15 * 60_000, null);
    expect(hourlyRates(w, hour + HOUR_MS + 15 * 60_000).uplinksPerHour).toBe(31);
  });

  it('given a gap of more than an hour, then nothing of the past counts', () => {
    const w = recordUplink(recordUplink(undefined, hour, 100), hour + 3 * HOUR_MS, 100);
    expect(hourlyRates(w, hour + 3 * HOUR_MS)).toMatchObject({ uplinksPerHour: 1, airtimeMsPerHour: 100 });
    expect(hourlyRates(recordUplink(undefined, hour, null), hour + 2 * HOUR_MS).uplinksPerHour).toBe(0);
  });

  it('given a late uplink of an earlier hour, then it counts in the current one', () => {
    const w = recordUplink(recordUplink(undefined, hour + HOUR_MS, null), hour + 10, null);
    expect(w).toMatchObject({ windowStart: hour + HOUR_MS, currentUplinks: 2 });
  });
});
