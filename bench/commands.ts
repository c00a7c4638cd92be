import { randomUUID } from 'node:crypto';
import { AvroCodec, SchemaCatalogue, toEventRecord } from '@fleet/contracts';
import { createKafka, KafkaPublisher, type OutgoingMessage } from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import { DispatcherHarness } from '../test/support/dispatcher-harness';
import { ensureBuilt } from './twin/service';
import { log, round } from './twin/timing';

/**
 * command-dispatcher's figures, each beside a same-run baseline:
 * 1. (run second) planning a bulk job over BENCH_JOB_DEVICES (default 100,000) devices: the time `POST /jobs`
 *    takes to resolve, record and queue its targets, then the time until every device's command is
 *    recorded and queued (the devices are sleepy and never wake, so nothing is sent); baseline: a
 *    plain INSERT of as many rows in the same database;
 * 2. (run first) sustained delivered commands/s to BENCH_DEVICES (default 500) always-on simulated devices
 *    taking up to 16 commands at once, BENCH_ROUNDS (default 10) reads each, all requested together
 *    as jobs (each device answering through ingestion), with the p50/p99 dispatch latency
 *    (queued → handed to the broker, from the dispatcher's histogram); baseline: the raw MQTT rate
 *    of the same downlinks, platform → devices, with no dispatcher.
 * The 100,000 devices of phase 1 reach the dispatcher as DeviceProvisioned records on its
 * device-events topic, as device-twin's relay would publish them (provisioning them through the
 * twin would take minutes and measure the twin).
 */
const JOB_DEVICES = Number(process.env['BENCH_JOB_DEVICES'] ?? 100_000);
const DEVICES = Number(process.env['BENCH_DEVICES'] ?? 500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const TARGET_PLAN_S = 10;
const TARGET_RATE = 5_000;
const TARGET_P99_MS = 100;

export async function main(): Promise<void> {
  ensureBuilt();
  const harness = new DispatcherHarness();
  await harness.start({
    JOB_TARGET_LIMIT: String(JOB_DEVICES + 1_000),
    DISPATCH_BATCH_SIZE: '2000',
    // e.g. DISPATCHER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the dispatcher alone.
    SERVICE_NODE_ARGS: process.env['DISPATCHER_NODE_ARGS'] ?? '',
  });
  try {
    // Delivery first: planning leaves 100,000 commands' events for the relay and projections to
    // work through for minutes, which would weigh on any figure taken after it.
    const delivery = await deliverToAlwaysOn(harness);
    const planning = await planBulkJob(harness);
    const summary = {
      benchmark: 'commands',
      jobDevices: JOB_DEVICES,
      planSeconds: planning.planSeconds,
      queueAllSeconds: planning.queueAllSeconds,
      baselineInsertSeconds: planning.baselineInsertSeconds,
      planVsInsertRatio: round(planning.planSeconds / planning.baselineInsertSeconds, 2),
      devices: DEVICES,
      deliveredPerSecond: delivery.perSecond,
      dispatchP50Ms: delivery.p50Ms,
      dispatchP99Ms: delivery.p99Ms,
      baselineRawMqttPerSecond: delivery.rawMqttPerSecond,
      deliveredVsRawMqttRatio: round(delivery.perSecond / delivery.rawMqttPerSecond, 3),
      references: { awsIotJobsPerSecond: round(1000 / 60, 1), azureIotHubS1JobOpsPerSecond: 10 },
      targets: { planSeconds: TARGET_PLAN_S, deliveredPerSecond: TARGET_RATE, dispatchP99Ms: TARGET_P99_MS },
      met: {
        plan: planning.planSeconds <= TARGET_PLAN_S,
        rate: delivery.perSecond >= TARGET_RATE,
        p99: delivery.p99Ms <= TARGET_P99_MS,
      },
    };
    console.log(JSON.stringify(summary));
  } finally {
    await harness.stop();
  }
}

async function planBulkJob(harness: DispatcherHarness) {
  const tag = uniqueName('bench').toLowerCase();
  const codec = new AvroCodec(SchemaCatalogue.load());
  const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'bench-commands' });
  const publisher = new KafkaPublisher(kafka);
  log(`publishing ${JOB_DEVICES} DeviceProvisioned records (sleepy devices tagged ${tag})`);
  const ids = Array.from({ length: JOB_DEVICES }, (_, i) => `${tag}-${i}`);
  for (let i = 0; i < ids.length; i += 5_000) {
    const messages: OutgoingMessage[] = ids.slice(i, i + 5_000).map((deviceId) => ({
      key: deviceId,
      value: codec.encode('fleet.device.DeviceProvisioned', toEventRecord(provisioned(deviceId, tag))),
    }));
    await publisher.publish(harness.stack.deviceEventsTopic, messages);
  }
  await waitForDevices(harness, tag, JOB_DEVICES);

  const baselineInsertSeconds = await baselineInsert(harness.stack.twin.databaseUrl, JOB_DEVICES);
  const started = process.hrtime.bigint();
  const { status, body } = await harness.api<{ jobId: string; targetCount: number; message?: string }>(
    'POST',
    '/jobs',
    {
      operation: { operation: 'read', path: '/3/0/9' },
      targets: { filter: { tags: [tag] } },
      reason: 'bench: plan a bulk job',
    },
  );
  const planSeconds = round(Number(process.hrtime.bigint() - started) / 1e9, 2);
  if (status !== 201) throw new Error(`POST /jobs answered ${status}: ${body.message}`);
  log(
    `job over ${body.targetCount} devices planned in ${planSeconds} s (plain INSERT of as many rows: ${baselineInsertSeconds} s)`,
  );
  await harness.until(
    async () => {
      const { body: job } = await harness.api<{ progress: Record<string, number> }>(
        'GET',
        `/jobs/${body.jobId}`,
      );
      return (job.progress['pending'] ?? 0) === 0 ? true : undefined;
    },
    600_000,
    'every command of the job to be queued',
  );
  const queueAllSeconds = round(Number(process.hrtime.bigint() - started) / 1e9, 2);
  log(`every device's command recorded and queued after ${queueAllSeconds} s`);
  // The commands stay queued for devices that never wake (cancelling 100,000 would only measure appends).
  return { planSeconds, queueAllSeconds, baselineInsertSeconds };
}

function provisioned(deviceId: string, tag: string) {
  return {
    id: randomUUID(),
    stream: `device-${deviceId}`,
    type: 'DeviceProvisioned',
    revision: 0n,
    position: { commit: 0n, prepare: 0n },
    recordedAt: new Date().toISOString(),
    data: {
      deviceId,
      serial: deviceId,
      manufacturer: 'acme',
      model: 'FW-SENSOR-1',
      hardwareRevision: null,
      firmwareVersion: '1.0.0',
      deviceClass: { kind: 'sleepy', wakeIntervalSeconds: 3600, lorawanClass: null, devEui: null },
      region: null,
      tags: [tag],
      attributes: {},
      credential: {
        type: 'secret',
        secretHash: null,
        certificateFingerprint: null,
        certificateNotAfter: null,
        appKeyCiphertext: null,
        kekId: null,
      },
    },
    metadata: {
      actor: { type: 'service' as const, id: 'bench' },
      reason: 'bench',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      tenant: 'default',
    },
  };
}

async function waitForDevices(harness: DispatcherHarness, tag: string, count: number): Promise<void> {
  const client = new Client({ connectionString: harness.stack.twin.databaseUrl });
  await client.connect();
  try {
    await harness.until(
      async () => {
        const { rows } = await client.query<{ n: string }>(
          'SELECT count(*) AS n FROM dispatch_devices WHERE $1 = ANY(tags)',
          [tag],
        );
        return Number(rows[0]!.n) >= count ? true : undefined;
      },
      300_000,
      `the dispatcher to learn ${count} devices`,
    );
  } finally {
    await client.end();
  }
}

async function baselineInsert(url: string, count: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'CREATE TEMP TABLE bench_targets (job_id uuid, seq int, device_id text, PRIMARY KEY (job_id, seq))',
    );
    const ids = Array.from({ length: count }, (_, i) => `baseline-${i}`);
    const started = process.hrtime.bigint();
    await client.query(
      'INSERT INTO bench_targets SELECT $1, s.seq, s.device_id FROM unnest($2::text[]) WITH ORDINALITY AS s(device_id, seq)',
      [randomUUID(), ids],
    );
    return round(Number(process.hrtime.bigint() - started) / 1e9, 3);
  } finally {
    await client.end();
  }
}

async function deliverToAlwaysOn(harness: DispatcherHarness) {
  log(`provisioning ${DEVICES} always-on devices and starting them`);
  // Devices that take up to 16 commands at once (LwM2M lets a device say so): the rounds below are
  // all sendable together, so the dispatch latency is the dispatcher's, not a device's queue.
  const prefix = uniqueName('bench-dev');
  const devices = await harness.stack.provisionRows(
    Array.from({ length: DEVICES }, (_, i) => ({
      serial: `${prefix}-${i}`,
      manufacturer: 'acme',
      model: 'FW-SENSOR-1',
      attributes: { maxInFlightCommands: '16' },
    })),
  );
  await harness.untilKnown([devices[0]!.deviceId, devices.at(-1)!.deviceId], 120_000);
  const simulator = await harness.simulate(devices, { telemetryIntervalMs: 3_600_000 });
  const rawMqttPerSecond = await rawMqttRate(
    devices.map((d) => d.deviceId),
    ROUNDS,
  );
  log(`raw MQTT downlinks platform → devices: ${rawMqttPerSecond}/s`);

  const before = await dispatchHistogram(harness);
  const started = process.hrtime.bigint();
  const startedAt = new Date().toISOString();
  const jobs: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { body } = await harness.api<{ jobId: string }>('POST', '/jobs', {
      operation: { operation: 'read', path: '/3/0/9' },
      targets: { deviceIds: devices.map((d) => d.deviceId) },
      reason: `bench round ${round}`,
    });
    jobs.push(body.jobId);
  }
  log(`${ROUNDS} jobs requested in ${round(Number(process.hrtime.bigint() - started) / 1e9, 2)} s`);
  const total = DEVICES * ROUNDS;
  // Counted in the dispatcher's read model (what GET /jobs/{id} reports) with one query per probe:
  // polling every job over HTTP ten times a second cost the dispatcher a good share of the CPU it measures.
  const db = new Client({ connectionString: harness.stack.twin.databaseUrl });
  await db.connect();
  try {
    await harness.until(
      async () => {
        const { rows } = await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM dispatch_commands
            WHERE job_id = ANY($1::uuid[]) AND status IN ('succeeded', 'failed', 'expired')`,
          [jobs],
        );
        return Number(rows[0]!.n) >= total ? true : undefined;
      },
      600_000,
      `${total} commands to finish`,
    );
    if (process.env['BENCH_TIMELINE']) {
      const { rows } = await db.query(
        `SELECT floor(extract(epoch FROM requested_at - $2::timestamptz)) AS req_s, count(*) AS n,
           round(avg(extract(epoch FROM sent_at - requested_at))::numeric, 2) AS to_sent,
           round(max(extract(epoch FROM sent_at - requested_at))::numeric, 2) AS to_sent_max,
           round(avg(extract(epoch FROM updated_at - sent_at))::numeric, 2) AS to_done
         FROM dispatch_commands WHERE job_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
        [jobs, startedAt],
      );
      log(`timeline: ${JSON.stringify(rows)}`);
    }
  } finally {
    await db.end();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const outcomes = await Promise.all(
    jobs.map((jobId) => harness.api<{ progress: Record<string, number> }>('GET', `/jobs/${jobId}`)),
  );
  const succeeded = outcomes.reduce((n, { body }) => n + (body.progress['succeeded'] ?? 0), 0);
  if (succeeded !== total) log(`only ${succeeded} of ${total} commands succeeded`);
  const after = await dispatchHistogram(harness);
  const perSecond = round(total / seconds, 0);
  const p50Ms = quantileMs(before, after, 0.5);
  const p99Ms = quantileMs(before, after, 0.99);
  log(
    `${total} reads answered in ${round(seconds, 1)} s: ${perSecond}/s; dispatch p50 ${p50Ms} ms, p99 ${p99Ms} ms`,
  );
  log(`simulator: ${JSON.stringify(simulator.snapshot().counters)}`);
  return { perSecond, p50Ms, p99Ms, rawMqttPerSecond };
}

/** The same downlinks straight from a platform client to the devices' topics, counted by a subscriber of them all. */
async function rawMqttRate(deviceIds: readonly string[], rounds: number): Promise<number> {
  const options = { reconnectPeriod: 0, protocolVersion: 5 as const };
  const subscriber = await connectAsync(testInfrastructure.mqttUrl, {
    ...options,
    username: 'fleet-observer',
    password: localMqttPassword('fleet-observer'),
    clientId: uniqueName('bench-raw-sub'),
  });
  const publisher = await connectAsync(testInfrastructure.mqttUrl, {
    ...options,
    username: 'fleet-platform',
    password: localMqttPassword('fleet-platform'),
    clientId: uniqueName('bench-raw-pub'),
  });
  const topic = uniqueName('bench-raw');
  await subscriber.subscribeAsync(`${topic}/+/down/command`, { qos: 1 });
  let received = 0;
  const total = deviceIds.length * rounds;
  const done = new Promise<void>((resolve) =>
    subscriber.on('message', () => {
      if (++received === total) resolve();
    }),
  );
  const started = process.hrtime.bigint();
  const payload = (i: number) =>
    JSON.stringify({
      id: randomUUID(),
      op: 'read',
      path: '/3/0/9',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      n: i,
    });
  const sends: Promise<unknown>[] = [];
  for (let r = 0; r < rounds; r++)
    for (const id of deviceIds)
      sends.push(publisher.publishAsync(`${topic}/${id}/down/command`, payload(r), { qos: 1 }));
  await Promise.all(sends);
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  return round(total / seconds, 0);
}

type Buckets = Map<number, number>;

async function dispatchHistogram(harness: DispatcherHarness): Promise<Buckets> {
  const text = await fetch(`${harness.dispatcher.url}/metrics`).then((r) => r.text());
  const buckets: Buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('fleet_command_dispatch_seconds_bucket{')) continue;
    const match = /le="([^"]+)".*\} (\d+)/.exec(line);
    if (match) buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return buckets;
}

/** Upper bound of the bucket holding the quantile, over what was observed between the two readings. */
function quantileMs(before: Buckets, after: Buckets, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * count) return bound * 1000;
  }
  return Infinity;
}
