import type { AvroCodec, EventRecord } from '@fleet/contracts';
import {
  CatchUp,
  DEVICE_BROKER_ACCESS,
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  type DecodedBatch,
  type DeviceBrokerAccess,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, KAFKA, PG_POOL } from '@fleet/platform';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config';
import { brokerActionBetween, evolveAccess, type DeviceAccess, type DeviceFact } from '../device-access';
import { DeviceAccessTable } from './device-access.table';

/**
 * Who may talk, kept in memory for the per-message check and in PostgreSQL across restarts, fed by
 * the device events on Kafka. Every replica reads all partitions (its own consumer group), since
 * each needs the whole fleet; broker changes are idempotent, so replicas repeating them is harmless.
 */
@Injectable()
export class DeviceDirectory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DeviceDirectory.name);
  private readonly byId = new Map<string, DeviceAccess>();
  private readonly byDevEui = new Map<string, DeviceAccess>();
  private readonly table: DeviceAccessTable;
  private consumer?: RunningConsumer;
  private catchUp?: CatchUp;
  private readonly brokerChanges;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(DEVICE_BROKER_ACCESS) private readonly broker: DeviceBrokerAccess,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    metrics: Metrics,
  ) {
    this.table = new DeviceAccessTable(pool);
    this.brokerChanges = metrics.counter(
      'fleet_ingestion_broker_access_changes_total',
      'Device access changes applied to the MQTT broker',
      ['action'],
    );
  }

  find(deviceId: string): DeviceAccess | undefined {
    return this.byId.get(deviceId);
  }

  findByDevEui(devEui: string): DeviceAccess | undefined {
    return this.byDevEui.get(devEui.toLowerCase());
  }

  /** Resolves once every device event on the topic when we started has been applied. */
  caughtUp(): Promise<void> {
    return this.catchUp?.done ?? Promise.resolve();
  }

  async onModuleInit(): Promise<void> {
    await this.table.create();
    for (const access of await this.table.loadAll()) this.remember(access);
    const topic = this.config.DEVICE_EVENTS_TOPIC;
    const groupId = `ingestion-device-access-${this.config.INGESTION_INSTANCE_ID}`;
    this.catchUp = await CatchUp.of(this.kafka, topic, groupId);
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId,
      topics: [topic],
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.apply(batch),
      onDeadLetter: (message, error) => {
        this.logger.warn({ offset: message.offset, err: error }, 'device event dead-lettered');
        this.catchUp?.reached(message.partition, message.offset);
      },
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'applying device events failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private decode(message: IncomingMessage): DeviceFact {
    if (!message.value) throw new NonRetriableError('empty device event');
    const { value } = this.codec.decode<EventRecord>(message.value);
    const { envelope, data } = value;
    if (!envelope.stream.startsWith('device-')) {
      throw new NonRetriableError(`not a device stream: ${envelope.stream}`);
    }
    const deviceClass = data['deviceClass'] as { devEui?: string | null } | undefined;
    return {
      type: envelope.eventType,
      deviceId: envelope.stream.slice('device-'.length),
      revision: envelope.revision,
      tenant: envelope.tenant,
      model: typeof data['model'] === 'string' ? data['model'] : '',
      devEui: deviceClass?.devEui ?? null,
    };
  }

  private async apply({ partition, items }: DecodedBatch<DeviceFact>): Promise<void> {
    const before = new Map<string, DeviceAccess | undefined>();
    const after = new Map<string, DeviceAccess | undefined>();
    for (const { value: fact } of items) {
      if (!before.has(fact.deviceId)) before.set(fact.deviceId, this.byId.get(fact.deviceId));
      const current = after.has(fact.deviceId) ? after.get(fact.deviceId) : before.get(fact.deviceId);
      after.set(fact.deviceId, evolveAccess(current, fact));
    }
    // The broker first: if we crash after it, the batch is replayed and the changes repeated.
    await Promise.all(
      [...after].map(async ([deviceId, access]) => {
        const action = brokerActionBetween(before.get(deviceId), access);
        if (!action) return;
        if (action === 'remove') await this.broker.removeDevice(deviceId);
        else await this.broker.setDeviceEnabled(deviceId, action === 'enable');
        this.brokerChanges.inc({ action });
      }),
    );
    const changed = [...after.values()].filter((a): a is DeviceAccess => a !== undefined);
    await this.table.save(changed);
    changed.forEach((access) => this.remember(access));
    const last = items.at(-1);
    if (last) this.catchUp?.reached(partition, last.message.offset);
  }

  private remember(access: DeviceAccess): void {
    this.byId.set(access.deviceId, access);
    if (access.devEui) this.byDevEui.set(access.devEui, access);
  }
}
