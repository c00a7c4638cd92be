import { findResource } from '@fleet/device-protocol';

/** A numeric telemetry value a threshold rule can watch, with the range it can take. */
export interface MetricSpec {
  readonly metric: string;
  readonly description: string;
  readonly min: number;
  readonly max: number;
}

/** The fields of `fleet.telemetry.DeviceTelemetry` that carry numbers (ranges as ingestion enforces). */
const TELEMETRY_FIELDS: Readonly<Record<string, MetricSpec>> = {
  batteryPercent: { metric: 'batteryPercent', description: 'battery (%)', min: 0, max: 100 },
  rssi: { metric: 'rssi', description: 'RSSI (dBm)', min: -200, max: 0 },
  snr: { metric: 'snr', description: 'SNR (dB)', min: -50, max: 50 },
  airtimeMs: { metric: 'airtimeMs', description: 'air time of one uplink (ms)', min: 0, max: 60_000 },
};

export const TELEMETRY_METRICS = Object.keys(TELEMETRY_FIELDS);

export type MetricLookup = { readonly spec: MetricSpec } | { readonly problem: string };

/**
 * The metric a threshold rule names: a telemetry field, or the LwM2M path of a numeric reading
 * (`/3303/0/5700`), whose range comes from the resource registry ingestion validates against.
 */
export function lookupMetric(metric: string): MetricLookup {
  const field = TELEMETRY_FIELDS[metric];
  if (field) return { spec: field };
  if (!metric.startsWith('/')) {
    return {
      problem: `unknown metric "${metric}"; use ${TELEMETRY_METRICS.join(', ')} or the LwM2M path of a numeric reading such as /3303/0/5700`,
    };
  }
  const resource = findResource(metric);
  if (!resource) return { problem: `unknown metric "${metric}": not a resource Fleetwise knows` };
  if (resource.type !== 'number' && resource.type !== 'integer') {
    return { problem: `metric ${metric} (${resource.name}) is a ${resource.type}, not a number` };
  }
  return {
    spec: {
      metric,
      description: `${resource.name}${resource.unit ? ` (${resource.unit})` : ''}`,
      min: resource.min ?? Number.NEGATIVE_INFINITY,
      max: resource.max ?? Number.POSITIVE_INFINITY,
    },
  };
}

/** Ranges of the rate metrics (per sliding hour). */
export const RATE_LIMITS = {
  uplinksPerHour: { min: 0, max: 1_000_000, description: 'uplinks per hour' },
  airtimeMsPerHour: { min: 0, max: 3_600_000, description: 'air time per hour (ms)' },
  dutyCyclePercent: { min: 0, max: 100, description: 'duty cycle (% of the hour on air)' },
} as const;
