import { readFileSync } from 'node:fs';
import { AvroCodec, SchemaCatalogue } from '@fleet/contracts';
import { issueDevToken } from '@fleet/auth';
import type { DeviceTelemetry } from '@fleet/device-protocol';
import { createKafka, ensureTopics } from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { connectAsync } from 'mqtt';
import { createDatabase } from '../test/support/database';
import { freePort, ServiceProcess } from '../test/support/service-process';
import { connectDevices, percentile, runLoad, type LoadDevice } from './ingestion/load';
import { ensureBuilt } from './twin/service';
import { log, round } from './twin/timing';

/**
 * Simulated devices → Mosquitto → ingestion → Kafka → a consumer, beside the raw MQTT loopback
 * rate of the same payloads and devices (publisher → subscriber, no ingestion) in the same run.
 *
 * 1. raw MQTT: every device publishes QoS 1 as fast as the broker acknowledges (a window of
 *    unacknowledged messages each); an independent subscriber counts them;
 * 2. end to end, closed loop: the same load, counted by a Kafka consumer of the telemetry topic:
 *    the sustained rate;
 * 3. end to end, open loop at a fixed rate the pipeline sustains: p50 / p99 latency from the
 *    device's send time (its SenML base time) to the Kafka consumer.
 * Environment: BENCH_DEVICES (default 200), BENCH_SECONDS (per phase, default 15), BENCH_WINDOW
 * (unacknowledged per device, default 20), BENCH_RATE (phase 3, default 80 % of phase 2, at most 20,000/s).
 */
const DEVICES = Number(process.env['BENCH_DEVICES'] ?? 200);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const WINDOW = Number(process.env['BENCH_WINDOW'] ?? 20);
const TARGET_RATE = 20_000;
const TARGET_RATIO = 0.35;
const TARGET_P99_MS = 250;
const TARGET_RSS_MB = 300;

export async function main(): Promise<void> {
  ensureBuilt();
  const database = await createDatabase('fleet_bench_ingestion');
  const topics = {
    deviceEvents: uniqueName('bench.device-events'),
    telemetry: uniqueName('bench.telemetry'),
    responses: uniqueName('bench.responses'),
    twinTelemetry: uniqueName('bench.twin-telemetry'),
  };
  const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'bench-ingestion' });
  await ensureTopics(kafka, [
    { name: topics.deviceEvents, partitions: 3, retentionMs: 3_600_000, compacted: false },
    { name: topics.telemetry, partitions: 6, retentionMs: 3_600_000, compacted: false },
    { name: `${topics.telemetry}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
    { name: topics.responses, partitions: 1, retentionMs: 3_600_000, compacted: false },
    { name: topics.twinTelemetry, partitions: 1, retentionMs: 3_600_000, compacted: false },
  ]);
  // device-twin provisions the devices (and registers them with the broker); it reads another
  // telemetry topic so that it does not compete with the pipeline for the two cores.
  const twin = new ServiceProcess('device-twin', await freePort(), {
    PG_URL: database.url,
    DEVICE_EVENTS_TOPIC: topics.deviceEvents,
    TELEMETRY_TOPIC: topics.twinTelemetry,
  });
  const ingestion = new ServiceProcess('ingestion', await freePort(), {
    PG_URL: database.url,
    DEVICE_EVENTS_TOPIC: topics.deviceEvents,
    TELEMETRY_TOPIC: topics.telemetry,
    COMMAND_RESPONSES_TOPIC: topics.responses,
    INGESTION_SHARE_GROUP: uniqueName('bench-share'),
    INGESTION_INSTANCE_ID: uniqueName('bench'),
    // The benchmark's own Node options (a larger young generation) are not the service's.
    NODE_OPTIONS: '',
    SERVICE_NODE_ARGS: process.env['INGESTION_NODE_ARGS'] ?? '',
  });
  await twin.start();
  const devices = await provision(twin.url, DEVICES);
  log(`${devices.length} devices provisioned`);
  const clients = await connectDevices(testInfrastructure.mqttUrl, devices);
  try {
    const raw = await rawMqtt(clients);
    log(`raw MQTT: ${round(raw.rate)} msg/s`);
    await ingestion.start(60_000);
    const consumer = await latencyConsumer(kafka, topics.telemetry);
    const sampler = sampleInFlight(ingestion.url);
    const cpuBefore = cpuSeconds(ingestion.pid);
    const closed = await endToEnd(clients, consumer, {});
    const cpuUsPerMessage = round(((cpuSeconds(ingestion.pid) - cpuBefore) * 1e6) / closed.received);
    const maxInFlight = sampler.stop();
    log(`end to end (closed loop): ${round(closed.rate)} msg/s`);
    const rate = Number(process.env['BENCH_RATE'] ?? Math.min(TARGET_RATE, Math.floor(closed.rate * 0.8)));
    const open = await endToEnd(clients, consumer, { ratePerSecond: rate });
    log(`end to end at ${rate}/s: p50 ${open.p50} ms, p99 ${open.p99} ms`);
    const rssMb = peakRssMb(ingestion.pid);
    await consumer.stop();
    const figures = {
      benchmark: 'ingestion',
      devices: devices.length,
      secondsPerPhase: SECONDS,
      window: WINDOW,
      endToEnd: {
        messagesPerSecond: round(closed.rate),
        p50Ms: closed.p50,
        p99Ms: closed.p99,
        missing: closed.missing,
      },
      atFixedRate: {
        offeredPerSecond: rate,
        achievedPerSecond: round(open.rate),
        p50Ms: open.p50,
        p99Ms: open.p99,
        missing: open.missing,
      },
      ingestionPeakRssMb: rssMb,
      // CPU the ingestion process spent per record in the closed-loop phase: unlike the rates,
      // barely moved by other processes competing for the two cores.
      ingestionCpuUsPerMessage: cpuUsPerMessage,
      ingestionMaxInFlight: maxInFlight,
      baseline: {
        rawMqttMessagesPerSecond: round(raw.rate),
        rawP50Ms: raw.p50,
        rawP99Ms: raw.p99,
        rawMissing: raw.missing,
      },
      ratios: { endToEndVsRawMqtt: round(closed.rate / raw.rate, 3) },
      targets: {
        messagesPerSecond: TARGET_RATE,
        ratioVsRawMqtt: TARGET_RATIO,
        p99Ms: TARGET_P99_MS,
        rssMb: TARGET_RSS_MB,
        met: {
          messagesPerSecond: closed.rate >= TARGET_RATE,
          ratioVsRawMqtt: closed.rate / raw.rate >= TARGET_RATIO,
          p99Ms: open.p99 <= TARGET_P99_MS,
          rssMb: rssMb <= TARGET_RSS_MB,
        },
      },
    };
    console.log(JSON.stringify(figures));
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await ingestion.stop();
    await twin.stop();
    await database.drop();
    await kafka
      .admin()
      .deleteTopics({ topics: Object.values(topics) })
      .catch(() => undefined);
  }
}

async function provision(twinUrl: string, count: number): Promise<LoadDevice[]> {
  const token = await issueDevToken({ role: 'operator', subject: 'bench-ingestion' });
  const prefix = uniqueName('bench');
  const rows = Array.from({ length: count }, (_, i) => ({
    serial: `${prefix}-${i}`,
    manufacturer: 'acme',
    model: 'FW-SENSOR-1',
  }));
  const response = await fetch(`${twinUrl}/devices/bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ devices: rows, reason: 'ingestion benchmark' }),
  });
  const body = (await response.json()) as {
    results: { deviceId: string; oneTimeCredentials?: { secret?: string } }[];
  };
  return body.results.map((r) => ({ deviceId: r.deviceId, secret: r.oneTimeCredentials?.secret ?? '' }));
}

interface PhaseFigures {
  rate: number;
  /** Records the far end received. */
  received: number;
  p50: number;
  p99: number;
  /** Acknowledged by the broker but never seen at the far end (should be 0). */
  missing: number;
}

async function rawMqtt(clients: Parameters<typeof runLoad>[0]): Promise<PhaseFigures> {
  const observer = await connectAsync(testInfrastructure.mqttUrl, {
    username: 'fleet-observer',
    password: localMqttPassword('fleet-observer'),
    clientId: uniqueName('bench-observer'),
    protocolVersion: 5,
  });
  const latencies: number[] = [];
  observer.on('message', (_topic, payload) => {
    const first = (JSON.parse(payload.toString()) as { bt?: number; t?: number }[])[0];
    const sentAt = first?.bt ?? first?.t ?? 0;
    latencies.push(Date.now() - sentAt * 1000);
  });
  await observer.subscribeAsync('fleet/v1/devices/+/up/+', { qos: 1 });
  const load = await runLoad(clients, { seconds: SECONDS, window: WINDOW });
  const deadline = Date.now() + 10_000;
  while (latencies.length < load.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await observer.endAsync();
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / load.seconds,
    received: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    missing: Math.max(0, load.sent - latencies.length),
  };
}

interface LatencyConsumer {
  readonly latencies: number[];
  stop(): Promise<void>;
}

async function latencyConsumer(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
): Promise<LatencyConsumer> {
  const codec = new AvroCodec(SchemaCatalogue.load());
  const latencies: number[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('bench-consumer'), maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const t = codec.decode<DeviceTelemetry>(message.value ?? Buffer.alloc(0)).value;
        latencies.push(now - (t.measuredAt ?? t.receivedAt));
      }
    },
  });
  await joined;
  return { latencies, stop: () => consumer.disconnect() };
}

async function endToEnd(
  clients: Parameters<typeof runLoad>[0],
  consumer: LatencyConsumer,
  options: { ratePerSecond?: number },
): Promise<PhaseFigures> {
  consumer.latencies.length = 0;
  const started = Date.now();
  const load = await runLoad(clients, { seconds: SECONDS, window: WINDOW, ...options });
  const deadline = Date.now() + 60_000;
  while (consumer.latencies.length < load.sent && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const elapsed = (Date.now() - started) / 1000;
  const latencies = [...consumer.latencies].sort((a, b) => a - b);
  // Until the last record is consumed: a backlog left at the end of the load counts against the rate.
  return {
    rate: latencies.length / elapsed,
    received: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    missing: Math.max(0, load.sent - latencies.length),
  };
}

/** User + system CPU time a process has used so far, in seconds (Linux clock ticks of 10 ms). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident memory of a process (VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  return round(kb / 1024);
}

/** Highest number of uplinks ingestion held unacknowledged, sampled from its /metrics. */
function sampleInFlight(url: string): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => {
    void fetch(`${url}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        const line = text.split('\n').find((l) => l.startsWith('fleet_ingestion_in_flight'));
        max = Math.max(max, Number(line?.split(' ').at(-1) ?? 0));
      })
      .catch(() => undefined);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
