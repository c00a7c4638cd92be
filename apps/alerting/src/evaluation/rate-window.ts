/**
 * Uplinks and air time per sliding hour, per device, in constant space: the counts of the current
 * and the previous clock hour, the previous one weighted by how much of it the sliding hour still
 * covers (the estimate rate limiters use). Exact when traffic is even; never off by more than the
 * previous hour's count.
 */
export interface RateWindow {
  /** Start of the current clock hour (epoch ms). */
  readonly windowStart: number;
  readonly previousUplinks: number;
  readonly currentUplinks: number;
  readonly previousAirtimeMs: number;
  readonly currentAirtimeMs: number;
}

export const HOUR_MS = 3_600_000;

export const emptyWindow = (at: number): RateWindow => ({
  windowStart: Math.floor(at / HOUR_MS) * HOUR_MS,
  previousUplinks: 0,
  currentUplinks: 0,
  previousAirtimeMs: 0,
  currentAirtimeMs: 0,
});

/** Moves the window to the hour of `at` (late uplinks count in the current hour). */
function roll(window: RateWindow, at: number): RateWindow {
  const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
  if (hour <= window.windowStart) return window;
  const adjacent = hour - window.windowStart === HOUR_MS;
  return {
    windowStart: hour,
    previousUplinks: adjacent ? window.currentUplinks : 0,
    currentUplinks: 0,
    previousAirtimeMs: adjacent ? window.currentAirtimeMs : 0,
    currentAirtimeMs: 0,
  };
}

export function recordUplink(
  window: RateWindow | undefined,
  at: number,
  airtimeMs: number | null,
): RateWindow {
  const w = roll(window ?? emptyWindow(at), at);
  return {
    ...w,
    currentUplinks: w.currentUplinks + 1,
    currentAirtimeMs: w.currentAirtimeMs + (airtimeMs ?? 0),
  };
}

/** The sliding-hour estimates at `at`. */
export function hourlyRates(
  window: RateWindow,
  at: number,
): { uplinksPerHour: number; airtimeMsPerHour: number; dutyCyclePercent: number } {
  const w = roll(window, at);
  const previousWeight = 1 - Math.min(1, Math.max(0, at - w.windowStart) / HOUR_MS);
  const airtime = w.previousAirtimeMs * previousWeight + w.currentAirtimeMs;
  return {
    uplinksPerHour: w.previousUplinks * previousWeight + w.currentUplinks,
    airtimeMsPerHour: airtime,
    dutyCyclePercent: (airtime / HOUR_MS) * 100,
  };
}
