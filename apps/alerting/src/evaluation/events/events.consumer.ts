import type { AvroCodec } from '@fleet/contracts';
import {
  MESSAGE_PUBLISHER,
  startBatchConsumer,
  type DecodedBatch,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, KAFKA, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { alertIdFor } from '../../alerts/alert-writer/alert-identity';
import { AlertWriter } from '../../alerts/alert-writer/alert-writer';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import { WindowRegistry } from '../../maintenance/windows/window-registry';
import type { EventSource } from '../../rules/rule';
import { RuleRegistry } from '../../rules/rule-registry/rule-registry';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { AlertStateStore } from '../../storage/postgres/alert-state.store';
import { OffsetLedger } from '../../storage/postgres/offset-ledger';
import { TABLES } from '../../storage/postgres/tables';
import { LOCKS } from '../../storage/postgres/transaction';
import { AlertSlots } from '../alert-slots';
import { DeviceEventsHandler } from './device-events.handler';
import { DomainEventsHandler } from './domain-events.handler';
import { EventBatch } from './event-batch';
import { decodeEvent, type IncomingEvent } from './event-decoding';

/**
 * Consumes the event topics (device, command, campaign and device-access events, and ingestion's
 * dead letters) in one consumer group, a partition batch per transaction, exactly once per offset.
 * Topics that do not exist yet (command and campaign events before their services, the optional
 * device-access topic) are looked for again every ALERTING_TOPIC_RECHECK_MS and joined when they
 * appear.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventsConsumer.name);
  private readonly ledger = new OffsetLedger(TABLES.kafkaOffsets);
  private readonly alertState = new AlertStateStore(TABLES.alertState);
  private consumer?: RunningConsumer;
  private subscribed = new Set<string>();
  private recheck?: NodeJS.Timeout;
  private restarting: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly events;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    private readonly rules: RuleRegistry,
    private readonly windows: WindowRegistry,
    private readonly directory: DeviceDirectory,
    private readonly writer: AlertWriter,
    private readonly deviceEvents: DeviceEventsHandler,
    private readonly domainEvents: DomainEventsHandler,
    metrics: Metrics,
  ) {
    this.events = metrics.counter('fleet_alerting_events_total', 'Events read from the event topics', [
      'source',
    ]);
  }

  /** Source name of each configured topic. */
  private get sources(): Map<string, EventSource> {
    const c = this.config;
    return new Map<string, EventSource>([
      [c.DEVICE_EVENTS_TOPIC, 'device-events'],
      [c.COMMAND_EVENTS_TOPIC, 'command-events'],
      [c.CAMPAIGN_EVENTS_TOPIC, 'campaign-events'],
      [c.DEVICE_ACCESS_TOPIC, 'device-access'],
      [c.TELEMETRY_DEAD_LETTER_TOPIC, 'telemetry-dead-letters'],
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    await this.subscribeToExisting();
    this.recheck = setInterval(() => {
      this.restarting = this.restarting
        .then(() => this.subscribeToExisting())
        .catch((error: unknown) => this.logger.error({ err: error }, 'looking for event topics failed'));
    }, this.config.ALERTING_TOPIC_RECHECK_MS);
    this.recheck.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.recheck);
    await this.restarting;
    await this.consumer?.stop();
  }

  private async subscribeToExisting(): Promise<void> {
    if (this.stopped) return;
    const admin = this.kafka.admin();
    await admin.connect();
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } finally {
      await admin.disconnect();
    }
    const topics = [...this.sources.keys()].filter((t) => existing.has(t));
    if (topics.length === this.subscribed.size && topics.every((t) => this.subscribed.has(t))) return;
    const missing = [...this.sources.keys()].filter((t) => !existing.has(t));
    if (missing.length > 0) this.logger.warn(`event topics not there (yet): ${missing.join(', ')}`);
    await this.consumer?.stop();
    this.consumer = undefined;
    this.subscribed = new Set(topics);
    if (topics.length === 0 || this.stopped) return;
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: this.config.ALERTING_EVENTS_GROUP_ID,
      topics,
      decode: (message) =>
        decodeEvent(this.codec, this.sources.get(message.topic) ?? 'device-events', message),
      handleBatch: (batch) => this.handle(batch),
      onDeadLetter: (message, error) =>
        this.logger.warn({ topic: message.topic, offset: message.offset, err: error }, 'event dead-lettered'),
      onRetry: (error, attempt) => this.logger.error({ err: error, attempt }, 'event batch failed; retrying'),
    });
  }

  private async handle({ topic, partition, items }: DecodedBatch<IncomingEvent>): Promise<void> {
    const rules = this.rules.ruleSet;
    const lastOffset = BigInt(items.at(-1)!.message.offset);
    const tx = await this.pool.connect();
    let touched: Set<string>;
    try {
      const firstNew = await this.ledger.open(tx, topic, partition, LOCKS.activity);
      const fresh = items.filter((i) => BigInt(i.message.offset) >= firstNew).map((i) => i.value);
      if (fresh.length === 0) {
        await tx.query('rollback');
        return;
      }
      const slots = new AlertSlots([], alertIdFor);
      const batch = new EventBatch(tx, rules, slots, this.alertState, this.windows.windows(), Date.now());
      for (const event of fresh) {
        if (event.source === 'device-events') await this.deviceEvents.handle(event, batch);
        await this.domainEvents.handle(event, batch);
        this.events.inc({ source: event.source });
      }
      await this.writer.apply(batch.decisions, slots, rules);
      await this.alertState.save(
        tx,
        slots.changes(),
        (id) => rules.get(id)?.definition.condition.kind ?? 'unknown',
      );
      await this.ledger.commit(tx, topic, partition, lastOffset);
      touched = batch.touchedDevices;
    } catch (error) {
      await tx.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
    touched.forEach((deviceId) => this.directory.forget(deviceId));
  }
}
