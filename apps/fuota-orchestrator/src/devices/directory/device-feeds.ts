import {
  applyDeviceEvent,
  type AvroCodec,
  type DeviceEventFact,
  type DeviceFacts,
  type EventRecord,
} from '@fleet/contracts';
import {
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  type DecodedBatch,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { AVRO_CODEC, KAFKA, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { CAMPAIGN_CONFIG, type CampaignConfig } from '../../campaigns/campaign-config.token';
import {
  FuotaDeviceStore,
  type CampaignCommandRow,
  type CommandOutcomeRow,
  type DeviceReport,
} from './fuota-device-store';

const TELEMETRY_SCHEMA = 'fleet.telemetry.DeviceTelemetry';
const OUTCOMES: Readonly<Record<string, string>> = {
  CommandSucceeded: 'succeeded',
  CommandFailed: 'failed',
  CommandExpired: 'expired',
  CommandCancelled: 'cancelled',
  CommandRefused: 'refused',
};

interface TelemetryRecord {
  deviceId: string;
  receivedAt: number;
  batteryPercent: number | null;
  firmwareVersion: string | null;
  readings: { path: string; numberValue: number | null; stringValue: string | null }[];
}

type CommandItem =
  | { kind: 'requested'; row: CampaignCommandRow }
  | { kind: 'outcome'; row: CommandOutcomeRow }
  | { kind: 'other' };

/**
 * Keeps the orchestrator's view of devices: facts from device events (who exists, status, model,
 * firmware), reports from telemetry (battery, /5/0/3, /5/0/5, /3/0/3, by receive time), and how
 * the campaign steps' commands ended (command events). Written before offsets are committed, so a
 * restart loses nothing a campaign needs.
 */
@Injectable()
export class DeviceFeeds implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeviceFeeds.name);
  private consumers: RunningConsumer[] = [];
  readonly store: FuotaDeviceStore;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(CAMPAIGN_CONFIG) private readonly config: CampaignConfig,
    @Inject(PG_POOL) pool: Pool,
  ) {
    this.store = new FuotaDeviceStore(pool);
  }

  onModuleInit(): Promise<void> {
    return this.store.ensureSchema();
  }

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.FUOTA_GROUP_PREFIX;
    const consumer = async <T>(
      name: string,
      topic: string,
      fromBeginning: boolean,
      decode: (m: IncomingMessage) => T,
      handle: (b: DecodedBatch<T>) => Promise<void>,
    ) =>
      startBatchConsumer(this.kafka, this.publisher, {
        groupId: `${prefix}-${name}`,
        topics: [topic],
        fromBeginning,
        decode,
        handleBatch: handle,
        onDeadLetter: (message, error) =>
          this.logger.warn({ offset: message.offset, err: error }, `${name} record dead-lettered`),
        onRetry: (error, attempt) =>
          this.logger.error({ err: error, attempt }, `${name} batch failed; retrying`),
      });
    this.consumers.push(
      await consumer(
        'devices',
        this.config.DEVICE_EVENTS_TOPIC,
        true,
        (m) => this.decodeDeviceEvent(m),
        (b) => this.applyDeviceEvents(b),
      ),
      await consumer(
        'telemetry',
        this.config.TELEMETRY_TOPIC,
        false,
        (m) => this.decodeTelemetry(m),
        (b) => this.applyReports(b),
      ),
      await consumer(
        'commands',
        this.config.COMMAND_EVENTS_TOPIC,
        false,
        (m) => this.decodeCommandEvent(m),
        (b) => this.applyCommandEvents(b),
      ),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  private decodeDeviceEvent(message: IncomingMessage): DeviceEventFact {
    if (!message.value) throw new NonRetriableError('empty device event');
    const record = this.codec.decode<EventRecord>(message.value).value;
    const stream = record.envelope?.stream ?? '';
    if (!stream.startsWith('device-'))
      throw new NonRetriableError('not a device event (no device-<id> stream)');
    return {
      deviceId: stream.slice('device-'.length),
      revision: record.envelope.revision,
      type: record.envelope.eventType,
      data: record.data,
    };
  }

  private async applyDeviceEvents({ items }: DecodedBatch<DeviceEventFact>): Promise<void> {
    const known = await this.store.facts([...new Set(items.map((i) => i.value.deviceId))]);
    const changed = new Map<string, DeviceFacts>();
    for (const { value } of items) {
      const next = applyDeviceEvent(changed.get(value.deviceId) ?? known.get(value.deviceId), value);
      if (next) changed.set(value.deviceId, next);
    }
    await this.store.applyFacts([...changed.values()]);
  }

  private decodeTelemetry(message: IncomingMessage): DeviceReport {
    if (!message.value) throw new NonRetriableError('empty telemetry');
    const decoded = this.codec.decode<TelemetryRecord>(message.value);
    if (decoded.schema !== TELEMETRY_SCHEMA)
      throw new NonRetriableError(`expected ${TELEMETRY_SCHEMA}, got ${decoded.schema}`);
    const t = decoded.value;
    const reading = (path: string) => t.readings.find((r) => r.path === path);
    return {
      deviceId: t.deviceId,
      at: new Date(t.receivedAt).toISOString(),
      batteryPercent: t.batteryPercent,
      updateState: reading('/5/0/3')?.numberValue ?? null,
      updateResult: reading('/5/0/5')?.numberValue ?? null,
      firmwareVersion: t.firmwareVersion ?? reading('/3/0/3')?.stringValue ?? null,
    };
  }

  private async applyReports({ items }: DecodedBatch<DeviceReport>): Promise<void> {
    // One row per device per statement: fold the batch's reports of a device, later ones winning.
    const latest = new Map<string, DeviceReport>();
    for (const { value } of items) {
      const before = latest.get(value.deviceId);
      if (!before) {
        latest.set(value.deviceId, value);
        continue;
      }
      // Two values of one resource in a batch: keep the later; different resources keep their own times.
      const later = Date.parse(value.at) >= Date.parse(before.at) ? value : before;
      const earlier = later === value ? before : value;
      latest.set(value.deviceId, {
        ...later,
        batteryPercent: later.batteryPercent ?? earlier.batteryPercent,
        updateState: later.updateState ?? earlier.updateState,
        updateResult: later.updateResult ?? earlier.updateResult,
        firmwareVersion: later.firmwareVersion ?? earlier.firmwareVersion,
      });
    }
    await this.store.applyReports([...latest.values()]);
  }

  private decodeCommandEvent(message: IncomingMessage): CommandItem {
    if (!message.value) throw new NonRetriableError('empty command event');
    const record = this.codec.decode<EventRecord>(message.value).value;
    const type = record.envelope.eventType;
    const data = record.data;
    const at = new Date(record.envelope.occurredAt).toISOString();
    const commandId = String(data['commandId']);
    const deviceId = String(data['deviceId']);
    if (type === 'CommandRequested') {
      return data['origin'] === 'campaign'
        ? { kind: 'requested', row: { commandId, deviceId, campaignId: record.envelope.correlationId, at } }
        : { kind: 'other' };
    }
    const status = OUTCOMES[type];
    if (!status) return { kind: 'other' };
    const gate = typeof data['gate'] === 'string' ? data['gate'] : null;
    const reason = typeof data['reason'] === 'string' ? data['reason'] : null;
    return { kind: 'outcome', row: { commandId, deviceId, status, gate, reason, at } };
  }

  private async applyCommandEvents({ items }: DecodedBatch<CommandItem>): Promise<void> {
    const requested: CampaignCommandRow[] = [];
    const outcomes = new Map<string, CommandOutcomeRow>();
    for (const { value } of items) {
      if (value.kind === 'requested') requested.push(value.row);
      if (value.kind === 'outcome') outcomes.set(value.row.commandId, value.row);
    }
    await this.store.recordCommands(requested, [...outcomes.values()]);
  }
}
