import {
  fromAvroConfigurationMap,
  type AvroCodec,
  type AvroConfigurationMap,
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
import { AVRO_CODEC, KAFKA } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Dispatcher } from '../../commands/dispatch/dispatcher';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import {
  ConfigurationLoop,
  type DesiredChange,
} from '../../configuration-loop/apply/configuration-loop.service';
import {
  applyDeviceEvent,
  FIRMWARE_UPDATE_STATE_PATH,
  type DeviceEventFact,
  type DeviceFacts,
  type WakeUp,
} from '../device-facts';
import { DeviceDirectory } from './device-directory';

const TELEMETRY_SCHEMA = 'fleet.telemetry.DeviceTelemetry';

interface TelemetryRecord {
  deviceId: string;
  receivedAt: number;
  batteryPercent: number | null;
  readings: { path: string; numberValue: number | null }[];
}

type DeviceEventItem = { fact: DeviceEventFact; record: EventRecord };

/**
 * Keeps the dispatcher's devices from device events (who exists, status, class) and telemetry
 * (when a device last talked, battery, firmware update state), wakes the dispatcher for devices that
 * just talked, and hands desired-configuration changes to the configuration loop.
 */
@Injectable()
export class DeviceFeeds implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeviceFeeds.name);
  private consumers: RunningConsumer[] = [];

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
    private readonly directory: DeviceDirectory,
    private readonly dispatcher: Dispatcher,
    private readonly configurationLoop: ConfigurationLoop,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.DISPATCHER_GROUP_PREFIX;
    this.consumers.push(
      await startBatchConsumer(this.kafka, this.publisher, {
        groupId: `${prefix}-devices`,
        topics: [this.config.DEVICE_EVENTS_TOPIC],
        fromBeginning: true,
        decode: (message) => this.decodeDeviceEvent(message),
        handleBatch: (batch) => this.applyDeviceEvents(batch),
        onDeadLetter: (message, error) =>
          this.logger.warn({ offset: message.offset, err: error }, 'device event dead-lettered'),
        onRetry: (error, attempt) =>
          this.logger.error({ err: error, attempt }, 'device events failed; retrying'),
      }),
      await startBatchConsumer(this.kafka, this.publisher, {
        groupId: `${prefix}-telemetry`,
        topics: [this.config.TELEMETRY_TOPIC],
        decode: (message) => this.decodeTelemetry(message),
        handleBatch: (batch) => this.applyWakeUps(batch),
        onDeadLetter: (message, error) =>
          this.logger.warn({ offset: message.offset, err: error }, 'telemetry dead-lettered'),
        onRetry: (error, attempt) => this.logger.error({ err: error, attempt }, 'telemetry failed; retrying'),
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  private decodeDeviceEvent(message: IncomingMessage): DeviceEventItem {
    if (!message.value) throw new NonRetriableError('empty device event');
    const record = this.codec.decode<EventRecord>(message.value).value;
    const deviceId = record.envelope?.stream?.startsWith('device-')
      ? record.envelope.stream.slice('device-'.length)
      : '';
    if (deviceId === '') throw new NonRetriableError('not a device event (no device-<id> stream)');
    return {
      record,
      fact: {
        deviceId,
        revision: record.envelope.revision,
        type: record.envelope.eventType,
        data: record.data,
      },
    };
  }

  private async applyDeviceEvents({ items }: DecodedBatch<DeviceEventItem>): Promise<void> {
    const events = items.map((i) => i.value);
    const ids = [...new Set(events.map((e) => e.fact.deviceId))];
    const known = await this.directory.store.facts(ids);
    const changed = new Map<string, DeviceFacts>();
    for (const { fact } of events) {
      const next = applyDeviceEvent(changed.get(fact.deviceId) ?? known.get(fact.deviceId), fact);
      if (next) changed.set(fact.deviceId, next);
    }
    await this.directory.store.applyFacts([...changed.values()]);
    const desired: DesiredChange[] = events
      .filter((e) => e.fact.type === 'DesiredConfigurationChanged')
      .map(({ record, fact }) => ({
        deviceId: fact.deviceId,
        eventId: record.envelope.eventId,
        revision: fact.revision,
        changes: fromAvroConfigurationMap(fact.data['changes'] as AvroConfigurationMap),
        envelope: record.envelope,
      }));
    await this.configurationLoop.apply(desired);
  }

  private decodeTelemetry(message: IncomingMessage): WakeUp {
    if (!message.value) throw new NonRetriableError('empty telemetry');
    const decoded = this.codec.decode<TelemetryRecord>(message.value);
    if (decoded.schema !== TELEMETRY_SCHEMA)
      throw new NonRetriableError(`expected ${TELEMETRY_SCHEMA}, got ${decoded.schema}`);
    const t = decoded.value;
    const state = t.readings.find((r) => r.path === FIRMWARE_UPDATE_STATE_PATH)?.numberValue ?? null;
    return {
      deviceId: t.deviceId,
      at: new Date(t.receivedAt).toISOString(),
      batteryPercent: t.batteryPercent,
      firmwareUpdateState: state,
    };
  }

  private async applyWakeUps({ items }: DecodedBatch<WakeUp>): Promise<void> {
    // The latest per device (one UPDATE cannot change a row twice); null readings keep the older value.
    const latest = new Map<string, WakeUp>();
    for (const { value } of items) {
      const before = latest.get(value.deviceId);
      latest.set(value.deviceId, {
        ...value,
        batteryPercent: value.batteryPercent ?? before?.batteryPercent ?? null,
        firmwareUpdateState: value.firmwareUpdateState ?? before?.firmwareUpdateState ?? null,
      });
    }
    await this.directory.store.recordWakeUps([...latest.values()]);
    this.dispatcher.kick([...latest.keys()]);
  }
}
