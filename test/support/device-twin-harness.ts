import { randomUUID } from 'node:crypto';
import { issueDevToken } from '@fleet/auth';
import { AvroCodec, SchemaCatalogue, toAvroConfigurationMap, type EventRecord } from '@fleet/contracts';
import {
  createKafka,
  ensureTopics,
  KafkaPublisher,
  startConsumer,
  type OutgoingMessage,
  type RunningConsumer,
} from '@fleet/messaging';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { createDatabase } from './database';
import { freePort, ServiceProcess } from './service-process';

export interface TelemetryInput {
  deviceId: string;
  receivedAt?: number;
  batteryPercent?: number | null;
  rssi?: number | null;
  snr?: number | null;
  airtimeMs?: number | null;
  firmwareVersion?: string | null;
  reportedConfiguration?: Record<string, string | number | boolean>;
}

/**
 * A device-twin process on a fresh database with its own telemetry topic, tokens for each role,
 * a Kafka publisher for telemetry, and a recorder of what reaches the device-events topic.
 */
export class DeviceTwinHarness {
  twin!: ServiceProcess;
  tokens!: Record<'admin' | 'operator' | 'support' | 'viewer', string>;
  readonly telemetryTopic = uniqueName('e2e.telemetry');
  /** Command events the twin reads acknowledged configuration writes from (its own, like telemetry). */
  readonly commandEventsTopic = uniqueName('e2e.command-events');
  /** Stable across restarts of the twin, like a deployment's consumer group. */
  private readonly commandEventsGroup = uniqueName('e2e-command-outcomes');
  readonly onKafka = new Map<string, EventRecord[]>();
  readonly rawKafka: Buffer[] = [];
  private database!: { url: string; drop(): Promise<void> };
  private publisher!: KafkaPublisher;
  private consumer?: RunningConsumer;
  private deadLetterConsumer?: RunningConsumer;
  private readonly codec = new AvroCodec(SchemaCatalogue.load());

  get databaseUrl(): string {
    return this.database.url;
  }

  async start(env: Record<string, string> = {}, watchTopic?: string): Promise<void> {
    this.database = await createDatabase();
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-harness' });
    await ensureTopics(kafka, [
      { name: this.telemetryTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${this.telemetryTopic}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
      { name: this.commandEventsTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${this.commandEventsTopic}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
    ]);
    this.publisher = new KafkaPublisher(kafka);
    this.twin = new ServiceProcess('device-twin', await freePort(), {
      PG_URL: this.database.url,
      TELEMETRY_TOPIC: this.telemetryTopic,
      COMMAND_EVENTS_TOPIC: this.commandEventsTopic,
      COMMAND_EVENTS_GROUP_ID: this.commandEventsGroup,
      // The broker is ingestion's suites' concern; these suites provision thousands of devices.
      DEVICE_BROKER_REGISTRATION: 'none',
      ...env,
    });
    await this.twin.start();
    this.tokens = {
      admin: await issueDevToken({ role: 'admin', subject: 'alice' }),
      operator: await issueDevToken({ role: 'operator', subject: 'oscar' }),
      support: await issueDevToken({ role: 'support', subject: 'sam' }),
      viewer: await issueDevToken({ role: 'viewer', subject: 'victor' }),
    };
    if (watchTopic) {
      this.consumer = await startConsumer(kafka, this.publisher, {
        groupId: uniqueName('e2e-watch'),
        topics: [watchTopic],
        fromBeginning: false,
        handler: async (message) => {
          this.rawKafka.push(message.value!);
          const record = this.codec.decode<EventRecord>(message.value!).value;
          const list = this.onKafka.get(record.envelope.stream) ?? [];
          list.push(record);
          this.onKafka.set(record.envelope.stream, list);
        },
      });
    }
  }

  /** Reasons (`dlt-reason` headers) of the dead letters of a topic (default telemetry), from now on. */
  async watchDeadLetters(topic = this.telemetryTopic): Promise<string[]> {
    const reasons: string[] = [];
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-dlt' });
    this.deadLetterConsumer = await startConsumer(kafka, this.publisher, {
      groupId: uniqueName('e2e-dlt'),
      topics: [`${topic}.dlt`],
      handler: async (message) => {
        reasons.push(message.headers['dlt-reason'] ?? '');
      },
    });
    return reasons;
  }

  async stop(): Promise<void> {
    await this.twin?.stop();
    await this.deadLetterConsumer?.stop();
    await this.consumer?.stop();
    await this.publisher?.disconnect();
    await this.database?.drop();
  }

  api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    return fetch(`${this.twin.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit & { token?: string } = {}) {
    const response = await this.api(path, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  }

  async sendTelemetry(inputs: readonly TelemetryInput[]): Promise<void> {
    const messages = inputs.map((t) => ({
      key: t.deviceId,
      value: this.codec.encode('fleet.telemetry.DeviceTelemetry', {
        messageId: randomUUID(),
        deviceId: t.deviceId,
        receivedAt: t.receivedAt ?? Date.now(),
        measuredAt: null,
        source: 'simulator',
        batteryPercent: t.batteryPercent ?? null,
        rssi: t.rssi ?? null,
        snr: t.snr ?? null,
        frameCounter: null,
        dataRate: null,
        airtimeMs: t.airtimeMs ?? null,
        firmwareVersion: t.firmwareVersion ?? null,
        reportedConfiguration: toAvroConfigurationMap(t.reportedConfiguration ?? {}),
        readings: [],
      }),
    }));
    for (let i = 0; i < messages.length; i += 500)
      await this.publisher.publish(this.telemetryTopic, messages.slice(i, i + 500));
  }

  async sendRaw(key: string, value: Buffer, topic = this.telemetryTopic): Promise<void> {
    await this.publisher.publish(topic, [{ key, value }]);
  }

  /** Publishes records to the twin's command events topic, as command-dispatcher's relay would. */
  async sendCommandEvents(messages: readonly OutgoingMessage[]): Promise<void> {
    await this.publisher.publish(this.commandEventsTopic, messages);
  }
}
