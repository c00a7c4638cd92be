import { SchemaCatalogue, UndecodableMessageError, type SchemaVersion } from '@fleet/contracts';
import { NonRetriableError, type IncomingMessage } from '@fleet/messaging';
import { Type, type Resolver } from 'avsc';
import type { TelemetryObservation } from '../telemetry-evaluation';

const TELEMETRY_SCHEMA = 'fleet.telemetry.DeviceTelemetry';
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER = 10;

/**
 * The fields of `fleet.telemetry.DeviceTelemetry` rules read. Decoding with this as the reader
 * schema (Avro schema resolution) skips the rest of each record (source, frame counter, reported
 * configuration, string readings...) instead of building objects nobody looks at: the hot path
 * decodes every uplink of the fleet.
 */
const PROJECTION = Type.forSchema({
  type: 'record',
  name: TELEMETRY_SCHEMA,
  fields: [
    { name: 'messageId', type: 'string' },
    { name: 'deviceId', type: 'string' },
    { name: 'receivedAt', type: 'long' },
    { name: 'batteryPercent', type: ['null', 'double'], default: null },
    { name: 'rssi', type: ['null', 'double'], default: null },
    { name: 'snr', type: ['null', 'double'], default: null },
    { name: 'airtimeMs', type: ['null', 'double'], default: null },
    {
      name: 'readings',
      default: [],
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'fleet.telemetry.SenmlReading',
          fields: [
            { name: 'path', type: 'string' },
            { name: 'numberValue', type: ['null', 'double'], default: null },
          ],
        },
      },
    },
  ],
});

interface ProjectedTelemetry {
  messageId: string;
  deviceId: string;
  receivedAt: number;
  batteryPercent: number | null;
  rssi: number | null;
  snr: number | null;
  airtimeMs: number | null;
  readings: { path: string; numberValue: number | null }[];
}

const EARLIEST = Date.parse('2000-01-01');

/**
 * One telemetry record as rules see it. Records that can never be evaluated (not Avro, another
 * schema, a key that is not the device, values no device can produce) are dead-lettered with the
 * reason, like device-twin does, so a poison message never stalls a partition.
 */
export class TelemetryDecoder {
  private readonly resolvers = new Map<string, Resolver>();

  constructor(private readonly catalogue: SchemaCatalogue = SchemaCatalogue.load()) {}

  decode(message: IncomingMessage): TelemetryObservation {
    const bytes = message.value;
    if (!bytes || bytes.length === 0) throw new NonRetriableError('empty telemetry message');
    if (bytes.length < HEADER || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
      throw new UndecodableMessageError('not Avro single-object encoded (missing C3 01 marker)');
    }
    const t = this.read(bytes);
    if (t.deviceId === '') throw new NonRetriableError('telemetry without a device id');
    if (message.key !== null && message.key !== t.deviceId) {
      throw new NonRetriableError(`record key ${message.key} is not the device id ${t.deviceId}`);
    }
    const problem = implausible(t);
    if (problem) throw new NonRetriableError(`telemetry of ${t.deviceId}: ${problem}`);
    // The decoded record is ours alone: drop string and boolean readings in place.
    if (t.readings.some((r) => r.numberValue === null))
      t.readings = t.readings.filter((r) => r.numberValue !== null);
    return t;
  }

  private read(bytes: Buffer): ProjectedTelemetry {
    const fingerprint = bytes.subarray(2, HEADER);
    const key = fingerprint.toString('hex');
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      const writer = this.writerOf(fingerprint);
      resolver = PROJECTION.createResolver(writer.type);
      this.resolvers.set(key, resolver);
    }
    try {
      return PROJECTION.fromBuffer(bytes.subarray(HEADER), resolver) as ProjectedTelemetry;
    } catch (error) {
      throw new UndecodableMessageError(`corrupt ${TELEMETRY_SCHEMA} body: ${String(error)}`);
    }
  }

  private writerOf(fingerprint: Buffer): SchemaVersion {
    const writer = this.catalogue.byFingerprintOf(fingerprint);
    if (!writer)
      throw new UndecodableMessageError(`unknown writer schema fingerprint ${fingerprint.toString('hex')}`);
    if (writer.name !== TELEMETRY_SCHEMA)
      throw new NonRetriableError(`expected ${TELEMETRY_SCHEMA}, got ${writer.name}`);
    return writer;
  }
}

function implausible(t: ProjectedTelemetry): string | undefined {
  if (t.batteryPercent !== null && !(t.batteryPercent >= 0 && t.batteryPercent <= 100)) {
    return `batteryPercent ${t.batteryPercent} is not within 0-100`;
  }
  if (t.rssi !== null && !(t.rssi >= -200 && t.rssi <= 50))
    return `rssi ${t.rssi} dBm is not within -200..50`;
  if (t.snr !== null && !Number.isFinite(t.snr)) return `snr ${t.snr} is not a number`;
  if (t.airtimeMs !== null && !(t.airtimeMs >= 0 && t.airtimeMs < 60_000)) {
    return `airtimeMs ${t.airtimeMs} is not within 0-60000`;
  }
  if (!(t.receivedAt > EARLIEST && t.receivedAt < Date.now() + 24 * 3_600_000)) {
    return `receivedAt ${t.receivedAt} is not a plausible time`;
  }
  return undefined;
}
