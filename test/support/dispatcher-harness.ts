import { AvroCodec, SchemaCatalogue, type EventRecord } from '@fleet/contracts';
import {
  createKafka,
  ensureTopics,
  startBatchConsumer,
  KafkaPublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import {
  FleetSimulator,
  type FleetSimulatorOptions,
  type SimulatedDevice,
} from '../../apps/simulator/src/simulator';
import { IngestionHarness, type ProvisionedDevice } from './ingestion-harness';
import { freePort, ServiceProcess } from './service-process';

export interface CommandView {
  commandId: string;
  deviceId: string;
  status: string;
  operation: string;
  path: string;
  origin: string;
  jobId: string | null;
  attempts: number;
  result: {
    code: string | null;
    values: { path: string; value: unknown }[];
    reason: string | null;
    gate: string | null;
  } | null;
}

/**
 * The stack a command travels through: device-twin (devices, desired configuration), ingestion
 * (devices' answers and wake-ups), command-dispatcher, the project's Mosquitto and simulated
 * devices, on one fresh database and this suite's own topics.
 */
export class DispatcherHarness {
  readonly stack = new IngestionHarness();
  readonly commandEventsTopic = uniqueName('e2e.command-events');
  /** Where services (fuota-orchestrator) ask this dispatcher for commands. */
  readonly commandRequestsTopic = uniqueName('e2e.command-requests');
  readonly commandEvents: EventRecord[] = [];
  dispatcher!: ServiceProcess;
  private dispatcherEnv: Record<string, string> = {};
  private readonly simulators: FleetSimulator[] = [];
  private consumer?: RunningConsumer;
  private readonly codec = new AvroCodec(SchemaCatalogue.load());

  async start(dispatcherEnv: Record<string, string> = {}): Promise<void> {
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-dispatcher' });
    await ensureTopics(kafka, [
      { name: this.commandEventsTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${this.commandEventsTopic}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
      { name: this.commandRequestsTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${this.commandRequestsTopic}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
    ]);
    await this.stack.start({}, { COMMAND_EVENTS_TOPIC: this.commandEventsTopic });
    this.dispatcherEnv = {
      PG_URL: this.stack.twin.databaseUrl,
      DEVICE_EVENTS_TOPIC: this.stack.deviceEventsTopic,
      TELEMETRY_TOPIC: this.stack.telemetryTopic,
      COMMAND_RESPONSES_TOPIC: this.stack.responsesTopic,
      COMMAND_EVENTS_TOPIC: this.commandEventsTopic,
      COMMAND_REQUESTS_TOPIC: this.commandRequestsTopic,
      DISPATCHER_GROUP_PREFIX: uniqueName('e2e-dispatcher'),
      DISPATCH_INTERVAL_MS: '100',
      ...dispatcherEnv,
    };
    this.dispatcher = new ServiceProcess('command-dispatcher', await freePort(), this.dispatcherEnv);
    await this.dispatcher.start();
    this.consumer = await startBatchConsumer(kafka, new KafkaPublisher(kafka), {
      groupId: uniqueName('e2e-command-events'),
      topics: [this.commandEventsTopic],
      fromBeginning: true,
      decode: (message) => this.codec.decode<EventRecord>(message.value!).value,
      handleBatch: async ({ items }) => void this.commandEvents.push(...items.map((i) => i.value)),
    });
  }

  /** Kills the dispatcher (`SIGKILL` = kill -9) and starts a new one on the same port and settings. */
  async restartDispatcher(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.dispatcher.stop(signal);
    this.dispatcher = new ServiceProcess('command-dispatcher', this.dispatcher.port, this.dispatcherEnv);
    // After a kill -9 its consumer groups only rebalance once the dead member's session times out
    // (KAFKA_SESSION_TIMEOUT_MS, 10 s under test).
    await this.dispatcher.start(90_000);
  }

  /** Stops every simulator started so far (a test starts new ones with other settings). */
  async stopSimulators(): Promise<void> {
    await Promise.all(this.simulators.splice(0).map((s) => s.stop()));
  }

  async stop(): Promise<void> {
    await this.stopSimulators();
    await this.consumer?.stop();
    await this.dispatcher?.stop();
    await this.stack.stop();
  }

  /** Runs simulated devices for provisioned ones (always-on unless said otherwise). */
  async simulate(
    devices: readonly (ProvisionedDevice & Partial<Pick<SimulatedDevice, 'kind' | 'wakeIntervalSeconds'>>)[],
    options: FleetSimulatorOptions = {},
  ): Promise<FleetSimulator> {
    const simulator = new FleetSimulator(
      devices.map((d) =>
        d.kind === 'lorawan'
          ? { deviceId: d.deviceId, kind: 'lorawan' as const, devEui: d.devEui!, model: 'FW-LORA-METER' }
          : {
              deviceId: d.deviceId,
              secret: d.secret,
              kind: d.kind ?? ('always-on' as const),
              model: 'FW-SENSOR-1',
              wakeIntervalSeconds: d.wakeIntervalSeconds ?? 60,
            },
      ),
      {
        mqttUrl: testInfrastructure.mqttUrl,
        telemetryIntervalMs: 60_000,
        networkServer: { username: 'ns-chirpstack', password: localMqttPassword('ns-chirpstack') },
        ...options,
      },
    );
    this.simulators.push(simulator);
    await simulator.start();
    return simulator;
  }

  async api<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    service: 'dispatcher' | 'twin' = 'dispatcher',
  ): Promise<{ status: number; body: T }> {
    const base = service === 'dispatcher' ? this.dispatcher.url : this.stack.twin.twin.url;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.stack.twin.tokens.operator}`,
        'content-type': 'application/json',
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Waits until the dispatcher knows the devices (it learns them from the device-events topic). */
  async untilKnown(deviceIds: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const id of deviceIds) {
      for (;;) {
        const { status } = await this.api('GET', `/devices/${id}/commands?limit=1`);
        if (status === 200) break;
        if (Date.now() > deadline) throw new Error(`dispatcher did not learn device ${id}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the command to reach one of `statuses`. */
  async commandIn(commandId: string, statuses: readonly string[], timeoutMs = 30_000): Promise<CommandView> {
    return this.until(
      async () => {
        const { body } = await this.api<CommandView>('GET', `/commands/${commandId}`);
        return statuses.includes(body.status) ? body : undefined;
      },
      timeoutMs,
      `command ${commandId} to be ${statuses.join(' or ')}`,
    );
  }
}
