import { randomBytes } from 'node:crypto';
import { AvroCodec, SchemaCatalogue } from '@fleet/contracts';
import type { DeviceTelemetry } from '@fleet/device-protocol';
import {
  createKafka,
  ensureTopics,
  MosquittoDynamicSecurity,
  startBatchConsumer,
  type IncomingMessage,
  type RunningConsumer,
} from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { DeviceTwinHarness } from './device-twin-harness';
import { freePort, ServiceProcess } from './service-process';

export interface ProvisionedDevice {
  readonly deviceId: string;
  readonly serial: string;
  readonly secret: string;
  readonly devEui?: string;
}

export interface DeadLetter {
  readonly key: string;
  readonly code: string;
  readonly reason: string;
  readonly sourceTopic: string;
  readonly value: Buffer;
}

/** `fleet.access.DeviceAuthenticationRefused` as recorded from the device-access topic. */
export interface AuthenticationRefusalRecord {
  readonly key: string;
  readonly refusalId: string;
  readonly deviceId: string | null;
  readonly transport: string;
  readonly observedBy: string;
  readonly reason: string;
  readonly clientId: string | null;
  readonly devEui: string | null;
  readonly remoteAddress: string | null;
  readonly detail: string;
  readonly observedAt: number;
}

export interface CommandResponseRecord {
  readonly deviceId: string;
  readonly commandId: string;
  readonly status: string;
}

/**
 * device-twin and ingestion on a fresh database, with their own device-events, telemetry and
 * command-response topics and their own MQTT share group, so suites never see each other's traffic;
 * records what ingestion publishes (telemetry by device, dead letters, command responses).
 */
export class IngestionHarness {
  readonly twin = new DeviceTwinHarness();
  readonly deviceEventsTopic = uniqueName('e2e.device-events');
  readonly responsesTopic = uniqueName('e2e.command-responses');
  readonly deviceAccessTopic = uniqueName('e2e.device-access');
  readonly telemetry = new Map<string, DeviceTelemetry[]>();
  readonly deadLetters: DeadLetter[] = [];
  readonly responses: CommandResponseRecord[] = [];
  readonly refusals: AuthenticationRefusalRecord[] = [];
  ingestion!: ServiceProcess;
  private readonly consumers: RunningConsumer[] = [];
  private readonly clients: MqttClient[] = [];
  private readonly provisioned: string[] = [];
  private readonly codec = new AvroCodec(SchemaCatalogue.load());

  get telemetryTopic(): string {
    return this.twin.telemetryTopic;
  }

  async start(
    ingestionEnv: Record<string, string> = {},
    twinEnv: Record<string, string> = {},
  ): Promise<void> {
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-ingestion' });
    await ensureTopics(kafka, [
      { name: this.deviceEventsTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: this.responsesTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: this.deviceAccessTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
    ]);
    await this.twin.start({
      DEVICE_EVENTS_TOPIC: this.deviceEventsTopic,
      DEVICE_BROKER_REGISTRATION: 'mosquitto-dynsec',
      ...twinEnv,
    });
    this.ingestion = new ServiceProcess('ingestion', await freePort(), {
      PG_URL: this.twin.databaseUrl,
      DEVICE_EVENTS_TOPIC: this.deviceEventsTopic,
      TELEMETRY_TOPIC: this.telemetryTopic,
      COMMAND_RESPONSES_TOPIC: this.responsesTopic,
      DEVICE_ACCESS_TOPIC: this.deviceAccessTopic,
      INGESTION_SHARE_GROUP: uniqueName('e2e-share'),
      INGESTION_INSTANCE_ID: uniqueName('e2e-ingestion'),
      ...ingestionEnv,
    });
    await this.ingestion.start();
    await this.record(kafka);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await this.forgetDevices();
    await this.ingestion?.stop();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.twin.stop();
  }

  /** Provisions active devices through device-twin's bulk API; returns their one-time secrets. */
  async provision(count: number, prefix = uniqueName('dev')): Promise<ProvisionedDevice[]> {
    const devices = Array.from({ length: count }, (_, i) => ({
      serial: `${prefix}-${i}`,
      manufacturer: 'acme',
      model: 'FW-SENSOR-1',
    }));
    return this.provisionRows(devices);
  }

  /** LoRaWAN class A devices (EU868, model FW-LORA-METER) with random DevEUIs. */
  async provisionLorawan(count: number, prefix = uniqueName('lora')): Promise<ProvisionedDevice[]> {
    const devices = Array.from({ length: count }, (_, i) => ({
      serial: `${prefix}-${i}`,
      manufacturer: 'acme',
      model: 'FW-LORA-METER',
      region: 'EU868',
      deviceClass: {
        kind: 'lorawan',
        lorawanClass: 'A',
        devEui: randomBytes(8).toString('hex').toUpperCase(),
      },
    }));
    const provisioned = await this.provisionRows(devices);
    return provisioned.map((d, i) => ({ ...d, devEui: devices[i]!.deviceClass.devEui.toLowerCase() }));
  }

  /** Removes this suite's devices from the broker, whose dynamic-security file would keep growing. */
  private async forgetDevices(): Promise<void> {
    if (this.provisioned.length === 0) return;
    const admin = await this.connectAccount('fleet-platform');
    const access = new MosquittoDynamicSecurity(() => Promise.resolve(admin));
    await Promise.all(this.provisioned.map((id) => access.removeDevice(id).catch(() => undefined)));
    await admin.endAsync();
  }

  /** Provisions the given rows (any body `POST /devices/bulk` takes) and remembers them for clean-up. */
  async provisionRows(devices: readonly object[]): Promise<ProvisionedDevice[]> {
    const { status, body } = await this.twin.json<{
      results: { serial: string; deviceId: string; oneTimeCredentials?: { secret?: string } }[];
    }>('/devices/bulk', {
      method: 'POST',
      token: this.twin.tokens.operator,
      body: JSON.stringify({ devices, reason: 'e2e' }),
    });
    if (status !== 200 && status !== 201) throw new Error(`bulk provisioning answered ${status}`);
    const failed = body.results.filter((r) => !r.deviceId);
    if (failed.length > 0)
      throw new Error(`bulk provisioning refused rows: ${JSON.stringify(failed.slice(0, 3))}`);
    this.provisioned.push(...body.results.map((r) => r.deviceId));
    return body.results.map((r) => ({
      deviceId: r.deviceId,
      serial: r.serial,
      secret: r.oneTimeCredentials?.secret ?? '',
    }));
  }

  /** Connects as the device, retrying while its activation is still on its way to the broker. */
  async connectDevice(
    device: ProvisionedDevice,
    options: IClientOptions = {},
    retryForMs = 10_000,
  ): Promise<MqttClient> {
    const deadline = Date.now() + retryForMs;
    for (;;) {
      try {
        const client = await connectAsync(testInfrastructure.mqttUrl, {
          username: device.deviceId,
          password: device.secret,
          clientId: device.deviceId,
          reconnectPeriod: 0,
          connectTimeout: 3_000,
          ...options,
        });
        this.clients.push(client);
        return client;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** A client of a platform account (`fleet-observer` sees everything, `fleet-platform` may send). */
  async connectAccount(
    username: 'fleet-observer' | 'fleet-platform' | 'ns-chirpstack' | 'ns-tts',
    options: IClientOptions = {},
  ): Promise<MqttClient> {
    const client = await connectAsync(testInfrastructure.mqttUrl, {
      username,
      password: localMqttPassword(username),
      clientId: uniqueName(username),
      reconnectPeriod: 0,
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  async until(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** ingestion's counter of uplinks by outcome and reason, from its /metrics. */
  async outcomeCount(outcome: string, reason: string): Promise<number> {
    const text = await fetch(`${this.ingestion.url}/metrics`).then((r) => r.text());
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('fleet_ingestion_messages_total{') &&
          l.includes(`outcome="${outcome}"`) &&
          l.includes(`reason="${reason}"`),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  /** Batch consumers: a per-message consumer commits each offset and cannot keep up with a flood. */
  private async record(kafka: ReturnType<typeof createKafka>): Promise<void> {
    const publisher = { publish: async () => undefined };
    const recorder = async (topic: string, onMessage: (message: IncomingMessage) => void) =>
      startBatchConsumer(kafka, publisher, {
        groupId: uniqueName('e2e-recorder'),
        topics: [topic],
        decode: (message) => message,
        handleBatch: async (batch) => batch.items.forEach((item) => onMessage(item.value)),
      });
    this.consumers.push(
      await recorder(this.telemetryTopic, (message) => {
        const t = this.codec.decode<DeviceTelemetry>(message.value ?? Buffer.alloc(0)).value;
        const list = this.telemetry.get(t.deviceId) ?? [];
        list.push(t);
        this.telemetry.set(t.deviceId, list);
      }),
      await recorder(`${this.telemetryTopic}.dlt`, (message) =>
        this.deadLetters.push({
          key: message.key ?? '',
          code: message.headers['dlt-code'] ?? '',
          reason: message.headers['dlt-reason'] ?? '',
          sourceTopic: message.headers['dlt-source-topic'] ?? '',
          value: message.value ?? Buffer.alloc(0),
        }),
      ),
      await recorder(this.responsesTopic, (message) =>
        this.responses.push(this.codec.decode<CommandResponseRecord>(message.value ?? Buffer.alloc(0)).value),
      ),
      await recorder(this.deviceAccessTopic, (message) =>
        this.refusals.push({
          key: message.key ?? '',
          ...this.codec.decode<Omit<AuthenticationRefusalRecord, 'key'>>(message.value ?? Buffer.alloc(0))
            .value,
        }),
      ),
    );
  }
}
