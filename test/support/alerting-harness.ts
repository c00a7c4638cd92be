import { randomUUID } from 'node:crypto';
import { issueDevToken } from '@fleet/auth';
import {
  AvroCodec,
  schemaNameForEvent,
  SchemaCatalogue,
  toEventRecord,
  type EventRecord,
} from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';
import {
  createKafka,
  ensureTopics,
  KafkaPublisher,
  startConsumer,
  type OutgoingMessage,
  type RunningConsumer,
} from '@fleet/messaging';
import { eventually, testInfrastructure, uniqueName } from '@fleet/testing';
import { Client } from 'pg';
import { createDatabase } from './database';
import { freePort, ServiceProcess } from './service-process';

export interface UplinkInput {
  deviceId: string;
  receivedAt?: number;
  batteryPercent?: number | null;
  rssi?: number | null;
  snr?: number | null;
  airtimeMs?: number | null;
  readings?: { path: string; value: number }[];
}

export interface AlertBody {
  alertId: string;
  ruleId: string;
  deviceId: string | null;
  subject: string;
  status: 'open' | 'acknowledged' | 'cleared';
  severity: string;
  episode: number;
  message: string;
  value: number | null;
  observedAt: string;
  raisedAt: string;
  clearedAt: string | null;
  clearedBy: string | null;
  acknowledgedBy: string | null;
  note: string | null;
  escalatedAt: string | null;
}

/** Fast timings for tests; a suite overrides what it needs. */
const TEST_ENV = {
  ALERTING_SILENCE_CHECK_MS: '200',
  ALERTING_ESCALATION_CHECK_MS: '200',
  ALERTING_RULES_REFRESH_MS: '200',
  ALERTING_WEBHOOK_POLL_MS: '100',
  ALERTING_WEBHOOK_RETRY_BASE_MS: '300',
  ALERTING_WEBHOOK_RETRY_MAX_MS: '2000',
  ALERTING_HEALTH_REFRESH_MS: '1000',
  ALERTING_DEVICE_CACHE_TTL_MS: '500',
  ALERTING_TOPIC_RECHECK_MS: '2000',
};

/**
 * The alerting service from dist on a fresh database with its own topics, fed as the platform
 * feeds it: Avro telemetry as ingestion publishes it, device and command events as the relays
 * publish them (`{envelope, data}`, keyed by device id). Records what reaches its alert topic.
 */
export class AlertingHarness {
  service!: ServiceProcess;
  tokens!: Record<'admin' | 'operator' | 'support' | 'viewer', string>;
  readonly topics = {
    telemetry: uniqueName('e2e.telemetry'),
    telemetryDeadLetters: uniqueName('e2e.telemetry-dlt'),
    deviceEvents: uniqueName('e2e.device-events'),
    commandEvents: uniqueName('e2e.command-events'),
    campaignEvents: uniqueName('e2e.campaign-events'),
    deviceAccess: uniqueName('e2e.device-access'),
    alertEvents: uniqueName('e2e.alert-events'),
  };
  /** Alert events as they arrived on the alert topic, in arrival order (duplicates kept). */
  readonly onKafka: EventRecord[] = [];
  private database!: { url: string; drop(): Promise<void> };
  private publisher!: KafkaPublisher;
  private watcher?: RunningConsumer;
  private readonly catalogue = SchemaCatalogue.load();
  private readonly codec = new AvroCodec(this.catalogue);
  private readonly revisions = new Map<string, number>();
  private readonly eventsGroup = uniqueName('e2e-alerting-events');

  get databaseUrl(): string {
    return this.database.url;
  }

  async start(env: Record<string, string> = {}): Promise<void> {
    this.database = await createDatabase('fleet_e2e_alerting');
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-alerting' });
    const topic = (name: string, partitions = 3) => ({
      name,
      partitions,
      retentionMs: 3_600_000,
      compacted: false,
    });
    await ensureTopics(kafka, [
      ...Object.values(this.topics).map((name) => topic(name)),
      topic(`${this.topics.telemetry}.dlt`, 1),
      topic(`${this.topics.deviceEvents}.dlt`, 1),
      topic(`${this.topics.commandEvents}.dlt`, 1),
      topic(`${this.topics.campaignEvents}.dlt`, 1),
      topic(`${this.topics.deviceAccess}.dlt`, 1),
      topic(`${this.topics.telemetryDeadLetters}.dlt`, 1),
    ]);
    this.publisher = new KafkaPublisher(kafka);
    this.service = new ServiceProcess('alerting', await freePort(), {
      ...TEST_ENV,
      PG_URL: this.database.url,
      TELEMETRY_TOPIC: this.topics.telemetry,
      TELEMETRY_DEAD_LETTER_TOPIC: this.topics.telemetryDeadLetters,
      DEVICE_EVENTS_TOPIC: this.topics.deviceEvents,
      COMMAND_EVENTS_TOPIC: this.topics.commandEvents,
      CAMPAIGN_EVENTS_TOPIC: this.topics.campaignEvents,
      DEVICE_ACCESS_TOPIC: this.topics.deviceAccess,
      ALERT_EVENTS_TOPIC: this.topics.alertEvents,
      ALERTING_EVENTS_GROUP_ID: this.eventsGroup,
      ...env,
    });
    await this.service.start(60_000);
    this.tokens = {
      admin: await issueDevToken({ role: 'admin', subject: 'alice' }),
      operator: await issueDevToken({ role: 'operator', subject: 'oscar' }),
      support: await issueDevToken({ role: 'support', subject: 'sam' }),
      viewer: await issueDevToken({ role: 'viewer', subject: 'victor' }),
    };
    this.watcher = await startConsumer(kafka, this.publisher, {
      groupId: uniqueName('e2e-alert-watch'),
      topics: [this.topics.alertEvents],
      handler: async (message) => {
        this.onKafka.push(this.codec.decode<EventRecord>(message.value!).value);
      },
    });
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    await this.watcher?.stop();
    await this.publisher?.disconnect();
    await this.database?.drop();
  }

  api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    return fetch(`${this.service.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${init.token ?? this.tokens.operator}`,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit & { token?: string } = {}) {
    const response = await this.api(path, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  }

  /** Creates a rule; fails the test when it is refused. */
  async createRule(definition: Record<string, unknown>): Promise<string> {
    const { status, body } = await this.json<{ ruleId: string }>('/rules', {
      method: 'POST',
      body: JSON.stringify(definition),
    });
    if (status !== 201) throw new Error(`rule refused (${status}): ${JSON.stringify(body)}`);
    return body.ruleId;
  }

  async alerts(query = ''): Promise<AlertBody[]> {
    const { status, body } = await this.json<{ items: AlertBody[] }>(
      `/alerts?limit=500${query ? `&${query}` : ''}`,
    );
    if (status !== 200) throw new Error(`GET /alerts answered ${status}`);
    return body.items;
  }

  /** Waits until `GET /alerts?<query>` satisfies `accept`. */
  waitForAlerts(
    query: string,
    accept: (alerts: AlertBody[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<AlertBody[]> {
    return eventually(
      async () => {
        const alerts = await this.alerts(query);
        return accept(alerts) ? alerts : undefined;
      },
      timeoutMs,
      `alerts matching ${query}`,
    );
  }

  async sendTelemetry(inputs: readonly UplinkInput[]): Promise<void> {
    const messages = inputs.map((t) => this.telemetryMessage(t));
    for (let i = 0; i < messages.length; i += 500) {
      await this.publisher.publish(this.topics.telemetry, messages.slice(i, i + 500));
    }
  }

  telemetryMessage(t: UplinkInput): OutgoingMessage {
    return {
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
        firmwareVersion: null,
        reportedConfiguration: {},
        readings: (t.readings ?? []).map((r) => ({
          path: r.path,
          time: null,
          numberValue: r.value,
          stringValue: null,
          booleanValue: null,
          unit: null,
        })),
      }),
    };
  }

  /** A refused login as a device, as ingestion publishes it (Avro, no envelope); returns its id. */
  async authenticationRefused(deviceId: string, refusalId: string = randomUUID()): Promise<string> {
    const now = Date.now();
    const address = '203.0.113.7:40000';
    const value = this.codec.encode('fleet.access.DeviceAuthenticationRefused', {
      refusalId,
      eventType: 'DeviceAuthenticationRefused',
      deviceId,
      transport: 'mqtt',
      observedBy: 'mosquitto',
      reason: 'bad-credentials',
      clientId: deviceId,
      devEui: null,
      remoteAddress: address,
      detail: `${Math.floor(now / 1000)}: Client ${deviceId} [${address}] disconnected: not authorised.`,
      observedAt: now,
      receivedAt: now,
    });
    await this.publisher.publish(this.topics.deviceAccess, [{ key: deviceId, value }]);
    return refusalId;
  }

  /** Publishes a device event as device-twin's relay would (Avro, next revision of the device). */
  async deviceEvent(
    deviceId: string,
    type: string,
    data: Record<string, unknown>,
    at = Date.now(),
  ): Promise<void> {
    const stream = `device-${deviceId}`;
    const revision = (this.revisions.get(stream) ?? -1) + 1;
    this.revisions.set(stream, revision);
    await this.publishEvent(
      this.topics.deviceEvents,
      deviceId,
      stream,
      revision,
      type,
      { deviceId, ...data },
      at,
    );
  }

  /** A device provisioned and activated, with its class and labels. */
  async provision(
    deviceId: string,
    options: {
      tags?: string[];
      attributes?: Record<string, string>;
      kind?: 'always-on' | 'sleepy' | 'lorawan';
      wakeIntervalSeconds?: number | null;
      model?: string;
    } = {},
  ): Promise<void> {
    await this.deviceEvent(deviceId, 'DeviceProvisioned', {
      serial: `SN-${deviceId}`,
      manufacturer: 'acme',
      model: options.model ?? 'WM-200',
      hardwareRevision: null,
      firmwareVersion: '1.0.0',
      tags: options.tags ?? [],
      attributes: options.attributes ?? {},
      deviceClass: {
        kind: options.kind ?? 'always-on',
        wakeIntervalSeconds: options.wakeIntervalSeconds ?? null,
        lorawanClass: null,
        devEui: null,
      },
      region: null,
      credential: {
        type: 'secret',
        secretHash: null,
        certificateFingerprint: null,
        certificateNotAfter: null,
        kekId: null,
      },
    });
    await this.deviceEvent(deviceId, 'DeviceActivated', {});
  }

  /** Publishes an event of any aggregate as a relay would, Avro when its schema exists, else JSON. */
  publishEvent(
    topic: string,
    key: string,
    stream: string,
    revision: number,
    type: string,
    data: Record<string, unknown>,
    at = Date.now(),
  ): Promise<string> {
    return this.republish(topic, key, stream, revision, type, randomUUID(), data, at);
  }

  /** Publishes an event with a given id: a relay publishing it again after a restart. */
  async republish(
    topic: string,
    key: string,
    stream: string,
    revision: number,
    type: string,
    eventId: string,
    data: Record<string, unknown>,
    at = Date.now(),
  ): Promise<string> {
    const recorded: RecordedEvent = {
      id: eventId,
      type,
      stream,
      revision: BigInt(revision),
      position: { commit: 1n, prepare: 1n },
      recordedAt: new Date(at).toISOString(),
      data,
      metadata: {
        actor: { type: 'service', id: 'e2e' },
        reason: null,
        occurredAt: new Date(at).toISOString(),
        correlationId: randomUUID(),
        causationId: null,
        tenant: 'default',
      },
    };
    const record = toEventRecord(recorded);
    const schema = schemaNameForEvent(recorded);
    const known = this.catalogue.names().includes(schema);
    const value = known ? this.codec.encode(schema, record) : Buffer.from(JSON.stringify(record));
    await this.publisher.publish(topic, [
      { key, value, headers: { 'event-id': recorded.id, 'event-type': type } },
    ]);
    return recorded.id;
  }

  async publishRaw(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.publisher.publish(topic, messages);
  }

  /** A direct look at the service's own tables. */
  async sql<T extends object>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }
}
