import type { RateWindow } from '../rate-window';
import type { TelemetryObservation } from '../telemetry-evaluation';

/**
 * What one telemetry batch says about its devices, one element per device in parallel arrays (the
 * journal row's columns): the latest receipt time and values, and the rate window as the batch
 * left it (when rate rules are active).
 */
export interface JournalRow {
  readonly devices: string[];
  readonly seen: number[];
  readonly battery: (number | null)[];
  readonly rssi: (number | null)[];
  readonly snr: (number | null)[];
  readonly windows: {
    readonly windowStart: number[];
    readonly previousUplinks: number[];
    readonly currentUplinks: number[];
    readonly previousAirtimeMs: number[];
    readonly currentAirtimeMs: number[];
  } | null;
}

interface Latest {
  s: number;
  b: number | null;
  r: number | null;
  n: number | null;
}

export function journalRow(
  observations: readonly TelemetryObservation[],
  rateWindow: ((deviceId: string) => RateWindow | undefined) | null,
): JournalRow {
  const byDevice = new Map<string, Latest>();
  for (const o of observations) {
    const e = byDevice.get(o.deviceId);
    if (!e) {
      byDevice.set(o.deviceId, { s: o.receivedAt, b: o.batteryPercent, r: o.rssi, n: o.snr });
      continue;
    }
    // Uplinks of a device arrive in order on its partition; "latest" is the later received.
    const later = o.receivedAt >= e.s;
    e.s = Math.max(e.s, o.receivedAt);
    if (later || e.b === null) e.b = o.batteryPercent ?? e.b;
    if (later || e.r === null) e.r = o.rssi ?? e.r;
    if (later || e.n === null) e.n = o.snr ?? e.n;
  }
  const devices = [...byDevice.keys()];
  const latest = [...byDevice.values()];
  const windows = rateWindow ? devices.map((d) => rateWindow(d)) : null;
  const column = (pick: (w: RateWindow) => number) => windows!.map((w) => (w ? pick(w) : 0));
  return {
    devices,
    seen: latest.map((e) => e.s),
    battery: latest.map((e) => e.b),
    rssi: latest.map((e) => e.r),
    snr: latest.map((e) => e.n),
    windows: windows && {
      windowStart: column((w) => w.windowStart),
      previousUplinks: column((w) => w.previousUplinks),
      currentUplinks: column((w) => w.currentUplinks),
      previousAirtimeMs: column((w) => w.previousAirtimeMs),
      currentAirtimeMs: column((w) => w.currentAirtimeMs),
    },
  };
}

/** A stored window `[start, previous uplinks, current uplinks, previous air time, current air time]`. */
export function fromStoredWindow(stored: readonly number[]): RateWindow {
  const [
    windowStart = 0,
    previousUplinks = 0,
    currentUplinks = 0,
    previousAirtimeMs = 0,
    currentAirtimeMs = 0,
  ] = stored;
  return { windowStart, previousUplinks, currentUplinks, previousAirtimeMs, currentAirtimeMs };
}
