import { SEVERITIES, type Severity } from '../rules/rule';

/** What `GET /fleet/health` answers, and what `/metrics` exposes as gauges. */
export interface FleetHealth {
  readonly generatedAt: string;
  readonly devices: {
    /** Devices known from device events (not decommissioned). */
    readonly known: number;
    /** Devices heard from at least once. */
    readonly reporting: number;
    /** Heard from within max(2 × expected interval, 120 s), as device-twin decides `online`. */
    readonly online: number;
    readonly offline: number;
    /** Devices with an open silence alert. */
    readonly silent: number;
    /** Known devices never heard from. */
    readonly neverSeen: number;
    readonly byStatus: Readonly<Record<string, number>>;
  };
  readonly battery: {
    /** Devices that reported a battery level. */
    readonly reporting: number;
    /** Devices per 10 % band of their last reported level: `0-10` … `90-100`. */
    readonly bands: Readonly<Record<string, number>>;
    readonly below20Percent: number;
  };
  readonly alerts: {
    /** Open or acknowledged, not cleared. */
    readonly active: number;
    readonly bySeverity: Readonly<Record<Severity, number>>;
    readonly byRule: readonly { ruleId: string; ruleName: string; severity: string; active: number }[];
  };
  readonly webhooks: { readonly pendingDeliveries: number; readonly deadLetters: number };
}

export const BATTERY_BANDS = Array.from({ length: 10 }, (_, i) => `${i * 10}-${i * 10 + 10}`);

/** Band label of `width_bucket(battery, 0, 100, 10)` (100 % falls in the last band). */
export const bandOf = (bucket: number): string => BATTERY_BANDS[Math.min(Math.max(bucket, 1), 10) - 1]!;

export function emptySeverities(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}
