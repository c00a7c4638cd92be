import type { Configuration } from './configuration';

/** One decoded uplink, as device-twin needs it (from `fleet.telemetry.DeviceTelemetry`). */
export interface Uplink {
  readonly offset: bigint;
  readonly messageId: string;
  readonly deviceId: string;
  readonly receivedAt: number;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly airtimeMs: number | null;
  readonly firmwareVersion: string | null;
  readonly reportedConfiguration: Configuration;
}

/** What a batch of uplinks changes in one device's connectivity row. */
export interface ConnectivityUpdate {
  readonly deviceId: string;
  readonly lastSeenAt: number;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly uplinks: number;
  /** Start of the newest hour window seen in the batch, and air time spent in it by the batch. */
  readonly airtimeWindowStart: number;
  readonly airtimeMs: number;
}

/** What the device said about itself: reported configuration and firmware, newest value per key. */
export interface DeviceReport {
  readonly deviceId: string;
  readonly messageId: string;
  /** When the newest uplink carrying the report was received. */
  readonly reportedAt: number;
  readonly reported: Configuration;
  readonly firmwareVersion: string | null;
}

const HOUR = 3_600_000;

/**
 * Folds a batch of uplinks into one connectivity update per device (last values win; counters and
 * air time add up) and one report per device that reported configuration or firmware.
 */
export function summariseUplinks(uplinks: readonly Uplink[]): {
  updates: ConnectivityUpdate[];
  reports: DeviceReport[];
} {
  const updates = new Map<string, ConnectivityUpdate>();
  const reports = new Map<string, DeviceReport>();
  const byTime = [...uplinks].sort((a, b) => a.receivedAt - b.receivedAt);
  for (const u of byTime) {
    const window = Math.floor(u.receivedAt / HOUR) * HOUR;
    const previous = updates.get(u.deviceId);
    const sameWindow = previous?.airtimeWindowStart === window;
    updates.set(u.deviceId, {
      deviceId: u.deviceId,
      lastSeenAt: u.receivedAt,
      batteryPercent: u.batteryPercent ?? previous?.batteryPercent ?? null,
      rssi: u.rssi ?? previous?.rssi ?? null,
      snr: u.snr ?? previous?.snr ?? null,
      uplinks: (previous?.uplinks ?? 0) + 1,
      airtimeWindowStart: window,
      airtimeMs: (sameWindow ? previous.airtimeMs : 0) + (u.airtimeMs ?? 0),
    });
    if (u.firmwareVersion !== null || Object.keys(u.reportedConfiguration).length > 0) {
      const earlier = reports.get(u.deviceId);
      reports.set(u.deviceId, {
        deviceId: u.deviceId,
        messageId: u.messageId,
        reportedAt: u.receivedAt,
        reported: { ...earlier?.reported, ...u.reportedConfiguration },
        firmwareVersion: u.firmwareVersion ?? earlier?.firmwareVersion ?? null,
      });
    }
  }
  return { updates: [...updates.values()], reports: [...reports.values()] };
}
