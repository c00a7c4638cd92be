import { FleetError, type Actor } from '@fleet/core';
import { AVRO_CODEC, KAFKA, PG_POOL, commandMetadata } from '@fleet/platform';
import { type AvroCodec, fromAvroConfigurationMap, type AvroConfigurationMap } from '@fleet/contracts';
import {
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  type DecodedBatch,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from '../../config';
import { CONFIGURATION_KEYS, type Configuration } from '../configuration';
import { summariseUplinks, type DeviceReport, type Uplink } from '../connectivity';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import { TWIN_STORE, type TwinStore } from '../twin/twin';
import { ConnectivityStore } from './connectivity.store';
import { TWIN_TABLES, type TwinTables } from '../twin/twin-tables';

const TELEMETRY_SCHEMA = 'fleet.telemetry.DeviceTelemetry';

interface DeviceTelemetryRecord {
  messageId: string;
  deviceId: string;
  receivedAt: number;
  batteryPercent: number | null;
  rssi: number | null;
  snr: number | null;
  airtimeMs: number | null;
  firmwareVersion: string | null;
  reportedConfiguration: AvroConfigurationMap;
}

/**
 * Keeps the twin's connectivity up to date from the telemetry topic, a partition batch at a time,
 * and turns what devices report about themselves (configuration, firmware) into device events.
 * Readings themselves never become events.
 */
@Injectable()
export class TelemetryConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelemetryConsumer.name);
  private readonly connectivity: ConnectivityStore;
  private consumer?: RunningConsumer;
  private readonly uplinks;
  private readonly ignoredReports;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(PG_POOL) pool: Pool,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
    @Inject(TWIN_TABLES) tables: TwinTables,
    @Inject(DEVICE_TWIN_CONFIG) private readonly config: DeviceTwinConfig,
    private readonly commands: DeviceCommandHandler,
    metrics: Metrics,
  ) {
    this.connectivity = new ConnectivityStore(pool, tables);
    this.uplinks = metrics.counter('fleet_twin_uplinks_total', 'Uplinks applied to twin connectivity', []);
    this.ignoredReports = metrics.counter(
      'fleet_twin_ignored_reports_total',
      'Device reports that could not be recorded (unknown or retired device)',
      ['reason'],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: this.config.TELEMETRY_GROUP_ID,
      topics: [this.config.TELEMETRY_TOPIC],
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.handle(batch),
      onDeadLetter: (message, error) =>
        this.logger.warn(
          { offset: message.offset, partition: message.partition, err: error },
          'telemetry dead-lettered',
        ),
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'telemetry batch failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private decode(message: IncomingMessage): Uplink {
    if (!message.value) throw new NonRetriableError('empty telemetry message');
    const decoded = this.codec.decode<DeviceTelemetryRecord>(message.value);
    if (decoded.schema !== TELEMETRY_SCHEMA) {
      throw new NonRetriableError(`expected ${TELEMETRY_SCHEMA}, got ${decoded.schema}`);
    }
    const t = decoded.value;
    if (t.deviceId === '') throw new NonRetriableError('telemetry without a device id');
    if (message.key !== null && message.key !== t.deviceId) {
      throw new NonRetriableError(`record key ${message.key} is not the device id ${t.deviceId}`);
    }
    const problem = implausible(t);
    if (problem) throw new NonRetriableError(`telemetry of ${t.deviceId}: ${problem}`);
    return {
      offset: BigInt(message.offset),
      messageId: t.messageId,
      deviceId: t.deviceId,
      receivedAt: t.receivedAt,
      batteryPercent: t.batteryPercent,
      rssi: t.rssi,
      snr: t.snr,
      airtimeMs: t.airtimeMs,
      firmwareVersion: t.firmwareVersion,
      reportedConfiguration: knownKeys(fromAvroConfigurationMap(t.reportedConfiguration)),
    };
  }

  private async handle({ topic, partition, items }: DecodedBatch<Uplink>): Promise<void> {
    const uplinks = items.map((i) => i.value);
    // Reports first: they are idempotent by themselves (the aggregate ignores what it already
    // knows), so if we crash before the offsets below are stored, replaying them changes nothing.
    for (const report of summariseUplinks(uplinks).reports) await this.record(report);
    const last = uplinks.at(-1);
    if (!last) return;
    const applied = await this.connectivity.applyOnce(
      topic,
      partition,
      last.offset,
      (firstNew) => summariseUplinks(uplinks.filter((u) => u.offset >= firstNew)).updates,
    );
    if (applied) this.uplinks.inc(uplinks.length);
  }

  private async record(report: DeviceReport): Promise<void> {
    const twin = await this.twins.find(report.deviceId);
    if (twin && alreadyKnown(twin, report)) return;
    const device: Actor = { type: 'device', id: report.deviceId };
    try {
      await this.commands.execute(
        {
          type: 'RecordDeviceReport',
          deviceId: report.deviceId,
          reported: report.reported,
          firmwareVersion: report.firmwareVersion,
        },
        commandMetadata({
          actor: device,
          reason: 'reported by the device',
          correlationId: report.messageId,
          now: new Date(report.reportedAt),
        }),
      );
    } catch (error) {
      if (!(error instanceof FleetError) || error.code === 'WRONG_EXPECTED_REVISION') throw error;
      this.ignoredReports.inc({ reason: error.code });
      this.logger.warn({ deviceId: report.deviceId, reason: error.message }, 'device report ignored');
    }
  }
}

/** Readings no device can produce would corrupt the twin: such messages are dead-lettered. */
function implausible(t: DeviceTelemetryRecord): string | undefined {
  if (t.batteryPercent !== null && !(t.batteryPercent >= 0 && t.batteryPercent <= 100)) {
    return `batteryPercent ${t.batteryPercent} is not within 0-100`;
  }
  if (t.rssi !== null && !(t.rssi >= -200 && t.rssi <= 50))
    return `rssi ${t.rssi} dBm is not within -200..50`;
  if (t.snr !== null && !Number.isFinite(t.snr)) return `snr ${t.snr} is not a number`;
  if (t.airtimeMs !== null && !(t.airtimeMs >= 0 && t.airtimeMs < 60_000)) {
    return `airtimeMs ${t.airtimeMs} is not within 0-60000`;
  }
  if (!(t.receivedAt > Date.parse('2000-01-01') && t.receivedAt < Date.now() + 24 * 3_600_000)) {
    return `receivedAt ${t.receivedAt} is not a plausible time`;
  }
  return undefined;
}

function knownKeys(values: Record<string, string | number | boolean | null>): Configuration {
  return Object.fromEntries(
    Object.entries(values).filter(
      (entry): entry is [string, string | number | boolean] =>
        entry[1] !== null && (CONFIGURATION_KEYS as readonly string[]).includes(entry[0]),
    ),
  );
}

function alreadyKnown(
  twin: { reported: Configuration; firmwareVersion: string | null },
  report: DeviceReport,
) {
  return (
    (report.firmwareVersion === null || report.firmwareVersion === twin.firmwareVersion) &&
    Object.entries(report.reported).every(([key, value]) => twin.reported[key] === value)
  );
}
