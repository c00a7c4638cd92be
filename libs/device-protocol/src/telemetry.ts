import {
  toAvroConfigurationMap,
  type AvroConfigurationMap,
  type ConfigurationScalar,
} from '@fleet/contracts';
import { checkResourceValue } from './lwm2m-registry';
import type { ResourceDefinition, TelemetryField } from './lwm2m-resources';
import type { ResolvedRecord } from './senml';

/** Path an uplink took (`DeviceTelemetry.source`). */
export type TelemetrySource = 'mqtt' | 'chirpstack' | 'tts' | 'simulator';

/** What a LoRaWAN network server measured about the uplink; null where it did not say. */
export interface LinkQuality {
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly frameCounter: number | null;
  readonly dataRate: string | null;
  readonly airtimeMs: number | null;
}

export interface TelemetryContext {
  readonly deviceId: string;
  readonly messageId: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly source: TelemetrySource;
  readonly link?: LinkQuality;
}

/** `fleet.telemetry.SenmlReading`: exactly one value field is non-null. */
export interface SenmlReading {
  readonly path: string;
  readonly time: number | null;
  readonly numberValue: number | null;
  readonly stringValue: string | null;
  readonly booleanValue: boolean | null;
  readonly unit: string | null;
}

/** `fleet.telemetry.DeviceTelemetry` v1, field for field, in schema order. */
export interface DeviceTelemetry {
  readonly messageId: string;
  readonly deviceId: string;
  readonly receivedAt: number;
  readonly measuredAt: number | null;
  readonly source: string;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly frameCounter: number | null;
  readonly dataRate: string | null;
  readonly airtimeMs: number | null;
  readonly firmwareVersion: string | null;
  readonly reportedConfiguration: AvroConfigurationMap;
  readonly readings: SenmlReading[];
}

interface Latest {
  readonly record: ResolvedRecord;
  readonly at: number;
}

/**
 * Maps the resolved records of one uplink to the telemetry record, checking every value against
 * the LwM2M registry first (one bad value refuses the whole uplink: it is dead-lettered as sent).
 *
 * - A resource that fills a field (battery, RSSI, SNR, firmware) or a configuration key may occur
 *   several times in a pack; the latest measurement wins (untimed records count as received now,
 *   ties go to the later record).
 * - RSSI and SNR measured by the network server describe this uplink at the gateway, which is what
 *   `rssi`/`snr` mean; the device's own /4/0/2 and /4/0/11 (its view of the downlink) then become
 *   readings, so nothing the device said is lost.
 * - `measuredAt` is the latest record time; a reading without time then gets `receivedAt`, because
 *   a null reading time would otherwise mean "at measuredAt".
 * @throws UplinkRejectedError
 */
export function toDeviceTelemetry(
  records: readonly ResolvedRecord[],
  context: TelemetryContext,
): DeviceTelemetry {
  const { link } = context;
  const fields = new Map<TelemetryField, Latest>();
  const configuration = new Map<string, Latest>();
  const readings: { record: ResolvedRecord; definition: ResourceDefinition }[] = [];
  records.forEach((record) => {
    const definition = checkResourceValue(record.path, record.value, record.unit);
    const target = definition.becomes;
    const latest = { record, at: record.timeMs ?? context.receivedAt };
    if (target.kind === 'telemetry' && !measuredByNetwork(target.field, link)) {
      keepLatest(fields, target.field, latest);
    } else if (target.kind === 'configuration') keepLatest(configuration, target.key, latest);
    else readings.push({ record, definition });
  });
  const times = records.flatMap((r) => (r.timeMs === null ? [] : [r.timeMs]));
  const measuredAt = times.length > 0 ? Math.max(...times) : null;
  const field = (name: TelemetryField) => fields.get(name)?.record.value;
  return {
    messageId: context.messageId,
    deviceId: context.deviceId,
    receivedAt: context.receivedAt,
    measuredAt,
    source: context.source,
    batteryPercent: numberOrNull(field('batteryPercent')),
    rssi: link?.rssi ?? numberOrNull(field('rssi')),
    snr: link?.snr ?? numberOrNull(field('snr')),
    frameCounter: link?.frameCounter ?? null,
    dataRate: link?.dataRate ?? null,
    airtimeMs: link?.airtimeMs ?? null,
    firmwareVersion: stringOrNull(field('firmwareVersion')),
    reportedConfiguration: toAvroConfigurationMap(
      Object.fromEntries(
        [...configuration].map(([key, { record }]): [string, ConfigurationScalar] => [key, record.value]),
      ),
    ),
    readings: readings.map(({ record, definition }) =>
      toReading(record, definition, measuredAt === null ? null : context.receivedAt),
    ),
  };
}

/** The network server measured the uplink itself, so the device's own value is only a reading. */
function measuredByNetwork(field: TelemetryField, link: LinkQuality | undefined): boolean {
  if (field === 'rssi') return (link?.rssi ?? null) !== null;
  if (field === 'snr') return (link?.snr ?? null) !== null;
  return false;
}

function keepLatest<K>(map: Map<K, Latest>, key: K, candidate: Latest): void {
  const current = map.get(key);
  if (current === undefined || candidate.at >= current.at) map.set(key, candidate);
}

function toReading(
  record: ResolvedRecord,
  definition: ResourceDefinition,
  untimed: number | null,
): SenmlReading {
  const { value } = record;
  return {
    path: record.path,
    time: record.timeMs ?? untimed,
    numberValue: typeof value === 'number' ? value : null,
    stringValue: typeof value === 'string' ? value : null,
    booleanValue: typeof value === 'boolean' ? value : null,
    unit: record.unit ?? (typeof value === 'number' ? (definition.unit ?? null) : null),
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
