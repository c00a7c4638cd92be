import { findConfigurationResource, type PayloadFormat, type ResourceValue } from '@fleet/device-protocol';
import { Encoder } from 'cbor-x';
import type { Readings } from './telemetry-model';

/** One SenML record as the simulated device writes it. */
export interface PackRecord {
  readonly path: string;
  readonly value: ResourceValue;
  readonly unit?: string;
}

/** Flat `section.parameter` configuration, as in the twin's reportedConfiguration. */
export type Configuration = Readonly<Record<string, ResourceValue>>;

/** RFC 8428 §6 integer labels, for SenML CBOR. */
const LABELS = { bt: -3, n: 0, u: 1, v: 2, vs: 3, vb: 4 } as const;
const cbor = new Encoder({ useRecords: false });

/**
 * Encodes a pack whose first record carries the base time `bt` (seconds with a millisecond
 * fraction), which every record inherits: ingestion's `measuredAt` is then exactly `baseTimeMs`,
 * so a test can find each uplink again. `encodeSenml` of the protocol library writes a `t` per
 * record instead and has no base fields.
 */
export function encodePack(
  records: readonly PackRecord[],
  baseTimeMs: number,
  format: PayloadFormat,
): Buffer {
  const entries = records.map((record, index) => {
    const entry: [keyof typeof LABELS, ResourceValue][] = [];
    if (index === 0) entry.push(['bt', baseTimeMs / 1000]);
    entry.push(['n', record.path], [valueLabel(record.value), record.value]);
    if (record.unit !== undefined) entry.push(['u', record.unit]);
    return entry;
  });
  if (format === 'json') return Buffer.from(JSON.stringify(entries.map((e) => Object.fromEntries(e))));
  return cbor.encode(entries.map((e) => new Map(e.map(([label, value]) => [LABELS[label], value]))));
}

/** SenML JSON records with text labels (`n`, `v`/`vs`/`vb`, `u`): the `values` of a command response. */
export function senmlValues(records: readonly PackRecord[]): Record<string, ResourceValue>[] {
  return records.map(({ path, value, unit }) => ({
    n: path,
    [valueLabel(value)]: value,
    ...(unit === undefined ? {} : { u: unit }),
  }));
}

function valueLabel(value: ResourceValue): 'v' | 'vs' | 'vb' {
  return typeof value === 'number' ? 'v' : typeof value === 'string' ? 'vs' : 'vb';
}

/** The readings of an `up/telemetry` uplink of a device on MQTT. */
export function telemetryRecords(readings: Readings): PackRecord[] {
  return [
    { path: '/3/0/9', value: readings.batteryPercent, unit: '%' },
    { path: '/4/0/2', value: readings.rssi, unit: 'dBm' },
    { path: '/4/0/11', value: readings.snr, unit: 'dB' },
    { path: '/3303/0/5700', value: readings.temperature, unit: 'Cel' },
  ];
}

/** What a LoRaWAN meter measures (the compact codec's fields: battery, temperature, energy). */
export function meterRecords(readings: Readings): PackRecord[] {
  return [
    { path: '/3/0/9', value: Math.round(readings.batteryPercent), unit: '%' },
    { path: '/3303/0/5700', value: readings.temperature, unit: 'Cel' },
    { path: '/3331/0/5805', value: readings.energyWh, unit: 'Wh' },
  ];
}

/** `up/state`: firmware version and the reported configuration (keys without a resource are left out). */
export function stateRecords(firmwareVersion: string, configuration: Configuration): PackRecord[] {
  return [{ path: '/3/0/3', value: firmwareVersion }, ...configurationRecords(configuration)];
}

export function configurationRecords(configuration: Configuration): PackRecord[] {
  return Object.entries(configuration).flatMap(([key, value]) => {
    const resource = findConfigurationResource(key);
    if (!resource) return [];
    return [
      { path: resource.pattern, value, ...(resource.unit === undefined ? {} : { unit: resource.unit }) },
    ];
  });
}

/** Applies a `down/config` document: `null` removes a key. */
export function applyDesired(
  configuration: Configuration,
  desired: Readonly<Record<string, ResourceValue | null>>,
): Configuration {
  const next: Record<string, ResourceValue> = { ...configuration };
  for (const [key, value] of Object.entries(desired)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Hands out strictly increasing epoch milliseconds per device, so two uplinks of one device never
 * share a `measuredAt`, even when sent within the same millisecond.
 */
export class UplinkClock {
  private last = 0;

  next(now: number): number {
    this.last = Math.max(Math.floor(now), this.last + 1);
    return this.last;
  }
}
