import { issueDevToken } from '@fleet/auth';
import { createKafka, ensureTopics } from '@fleet/messaging';
import { eventually, testInfrastructure, uniqueName } from '@fleet/testing';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { createDatabase } from '../test/support/database';
import { freePort, ServiceProcess } from '../test/support/service-process';
import { BENCH_RULES } from './alerting/rules';
import { ensureAlertingBuilt, metric, peakRssMb } from './alerting/service';
import { encode, produce, uplink } from './alerting/telemetry';
import { log, round } from './twin/timing';

/**
 * The alerting service from dist, against real Kafka and PostgreSQL.
 *
 * 1. Rule evaluation throughput: BENCH_MESSAGES (200,000) Avro uplinks of BENCH_DEVICES (20,000)
 *    devices wait on a topic; the service starts with 20 rules and evaluates the backlog
 *    (thresholds, rates, silence, scopes; decode, evaluate, journal, commit). Baseline: a raw
 *    kafkajs consumer reading the same messages in the same run, doing nothing with them.
 * 2. Silence at fleet scale: BENCH_SILENCE_DEVICES (1,000,000) devices report once (indexed
 *    deadlines), then BENCH_SILENT (20,000) of them report once more with a receipt time that puts
 *    their deadline 10-30 s ahead and fall silent: the delay from each deadline to its AlertRaised
 *    in the store (p50, p99, max), and the service's peak memory.
 */
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 200_000);
const DEVICES = Number(process.env['BENCH_DEVICES'] ?? 20_000);
const SILENCE_DEVICES = Number(process.env['BENCH_SILENCE_DEVICES'] ?? 1_000_000);
const SILENT = Number(process.env['BENCH_SILENT'] ?? 20_000);
const TARGET_RATE = 50_000;
const TARGET_RSS_MB = 500;
const TARGET_P99_S = 5;
/** The bench's silence rule: 3 × the interval of a device alerting knows nothing about (300 s). */
const SILENCE_TIMEOUT_MS = 3 * 300_000;
/**
 * The service's heap limit, as docs/alerting.md recommends deploying it: its live memory is bounded
 * (device and rate-window caches of ALERTING_DEVICE_CACHE_SIZE entries), but without a limit V8
 * grows its heap towards the machine's memory before collecting. ALERTING_NODE_ARGS overrides.
 */
const SERVICE_NODE_ARGS = process.env['ALERTING_NODE_ARGS'] ?? '--max-old-space-size=320';
/** `evaluation` or `silence` runs that part alone (profiling); default both. */
const ONLY = process.env['BENCH_ONLY'];

const deviceId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

export async function main(): Promise<void> {
  ensureAlertingBuilt(log);
  const database = await createDatabase('fleet_bench_alerting');
  const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'bench-alerting' });
  const topics = {
    idle: uniqueName('bench.idle-telemetry'),
    telemetry: uniqueName('bench.telemetry'),
    silence: uniqueName('bench.silence-telemetry'),
    deviceEvents: uniqueName('bench.device-events'),
    commandEvents: uniqueName('bench.command-events'),
    campaignEvents: uniqueName('bench.campaign-events'),
    deviceAccess: uniqueName('bench.device-access'),
    deadLetters: uniqueName('bench.telemetry-dlt'),
    alertEvents: uniqueName('bench.alert-events'),
  };
  const all = [
    ...Object.values(topics),
    ...[topics.idle, topics.telemetry, topics.silence].map((t) => `${t}.dlt`),
  ];
  await ensureTopics(
    kafka,
    all.map((name) => ({
      name,
      partitions: [topics.telemetry, topics.silence].includes(name) ? 6 : 1,
      retentionMs: 3_600_000,
      compacted: false,
    })),
  );
  const service = async (telemetryTopic: string) =>
    new ServiceProcess('alerting', await freePort(), {
      PG_URL: database.url,
      PG_POOL_SIZE: '20',
      TELEMETRY_TOPIC: telemetryTopic,
      TELEMETRY_GROUP_ID: uniqueName('bench-telemetry'),
      DEVICE_EVENTS_TOPIC: topics.deviceEvents,
      COMMAND_EVENTS_TOPIC: topics.commandEvents,
      CAMPAIGN_EVENTS_TOPIC: topics.campaignEvents,
      DEVICE_ACCESS_TOPIC: topics.deviceAccess,
      TELEMETRY_DEAD_LETTER_TOPIC: topics.deadLetters,
      ALERT_EVENTS_TOPIC: topics.alertEvents,
      ALERTING_EVENTS_GROUP_ID: uniqueName('bench-events'),
      NODE_OPTIONS: '',
      SERVICE_NODE_ARGS,
    });
  let running: ServiceProcess | undefined;
  const start = async (telemetryTopic: string) => {
    const s = await service(telemetryTopic);
    await s.start(90_000);
    running = s;
    return s;
  };
  try {
    const rulesService = await start(topics.idle);
    await createRules(rulesService.url);
    await rulesService.stop();
    log(`${BENCH_RULES.length} rules created`);

    const evaluation =
      ONLY === 'silence'
        ? {
            rate: Number.NaN,
            rawRate: Number.NaN,
            alertsRaised: 0,
            rssMb: Number.NaN,
            indexCatchUpSeconds: Number.NaN,
          }
        : await evaluationThroughput(kafka, topics.telemetry, () => start(topics.telemetry));
    await running?.stop();
    const silence =
      ONLY === 'evaluation'
        ? {
            tracked: 0,
            raised: 0,
            p50: NaN,
            p99: NaN,
            max: NaN,
            indexReadySeconds: NaN,
            ingestRate: NaN,
            rssMb: NaN,
            tableMb: NaN,
          }
        : await silenceAtScale(kafka, topics.silence, database.url, () => start(topics.silence));
    await running?.stop();

    const figures = {
      benchmark: 'alerting',
      rules: BENCH_RULES.length,
      serviceNodeArgs: SERVICE_NODE_ARGS,
      evaluation: {
        messages: MESSAGES,
        devices: DEVICES,
        messagesPerSecond: round(evaluation.rate),
        alertsRaised: evaluation.alertsRaised,
        indexCatchUpSeconds: evaluation.indexCatchUpSeconds,
        peakRssMb: evaluation.rssMb,
      },
      silence: {
        devicesTracked: silence.tracked,
        silentDevices: SILENT,
        alertsRaised: silence.raised,
        delayP50Seconds: silence.p50,
        delayP99Seconds: silence.p99,
        delayMaxSeconds: silence.max,
        indexReadySeconds: silence.indexReadySeconds,
        ingestMessagesPerSecond: round(silence.ingestRate),
        peakRssMb: silence.rssMb,
        activityTableMb: silence.tableMb,
      },
      baseline: { rawKafkaMessagesPerSecond: round(evaluation.rawRate) },
      ratios: { evaluationVsRawKafka: round(evaluation.rate / evaluation.rawRate, 3) },
      targets: {
        messagesPerSecond: TARGET_RATE,
        rssMb: TARGET_RSS_MB,
        delayP99Seconds: TARGET_P99_S,
        met: {
          messagesPerSecond: evaluation.rate >= TARGET_RATE,
          rssMb: silence.rssMb <= TARGET_RSS_MB,
          delayP99Seconds: silence.p99 <= TARGET_P99_S && silence.raised === SILENT,
        },
      },
    };
    console.log(JSON.stringify(figures));
  } finally {
    await running?.stop();
    await database.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: all }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function createRules(url: string): Promise<void> {
  const token = await issueDevToken({ role: 'operator', subject: 'bench-alerting' });
  for (const rule of BENCH_RULES) {
    const response = await fetch(`${url}/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(rule),
    });
    if (response.status !== 201)
      throw new Error(`rule ${String(rule['name'])} refused: ${await response.text()}`);
  }
}

async function evaluationThroughput(kafka: Kafka, topic: string, start: () => Promise<ServiceProcess>) {
  const now = Date.now();
  const produced = process.hrtime.bigint();
  await produce(kafka, topic, MESSAGES, (i) => {
    const d = i % DEVICES;
    return encode(uplink(deviceId(d), d, now - (MESSAGES - i)));
  });
  log(
    `${MESSAGES} uplinks produced (${round(MESSAGES / (Number(process.hrtime.bigint() - produced) / 1e9))} msg/s)`,
  );
  const rawRate = await rawConsumeRate(kafka, topic, MESSAGES);
  log(`raw Kafka consume: ${round(rawRate)} msg/s`);
  const alerting = await start();
  const { rate } = await evaluationRate(alerting.url, MESSAGES);
  // The silence index is maintained off the hot path; how long it needs to take in the burst.
  const evaluated = process.hrtime.bigint();
  await eventually(
    async () => ((await metric(alerting.url, 'fleet_alerting_journal_backlog')) === 0 ? true : undefined),
    300_000,
    'the silence index to take the burst',
  );
  const indexCatchUpSeconds = round(Number(process.hrtime.bigint() - evaluated) / 1e9);
  const alertsRaised = await metric(alerting.url, 'fleet_alerting_alerts_raised_total');
  const batches = await metric(alerting.url, 'fleet_alerting_telemetry_batch_seconds_count');
  const batchSeconds = await metric(alerting.url, 'fleet_alerting_telemetry_batch_seconds_sum');
  log(
    `${batches} batches of ${round(MESSAGES / batches)} uplinks on average, ${round((batchSeconds / batches) * 1000)} ms each`,
  );
  const rssMb = peakRssMb(alerting.pid);
  log(
    `evaluation with ${BENCH_RULES.length} rules: ${round(rate)} msg/s (${alertsRaised} alerts), silence index caught up ${indexCatchUpSeconds} s later, peak RSS ${rssMb} MB`,
  );
  return { rate, rawRate, alertsRaised, rssMb, indexCatchUpSeconds };
}

/** Messages per second from the first evaluated batch to the last, read from the service's counter. */
async function evaluationRate(url: string, expected: number): Promise<{ rate: number }> {
  let first: { at: bigint; count: number } | undefined;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const count = await metric(url, 'fleet_alerting_telemetry_messages_total');
    const at = process.hrtime.bigint();
    if (!first && count > 0) first = { at, count };
    if (first && count >= expected) {
      const seconds = Number(at - first.at) / 1e9;
      return { rate: seconds > 0 ? (count - first.count) / seconds : Number.NaN };
    }
    if (Date.now() > deadline) throw new Error(`only ${count} of ${expected} uplinks evaluated`);
    // Each scrape renders every metric: often enough to time the run, rarely enough not to slow it.
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reads `expected` messages with a fresh consumer group, doing nothing with them. */
async function rawConsumeRate(kafka: Kafka, topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-raw'), allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let first: bigint | undefined;
  let firstCount = 0;
  let last = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (first === undefined) {
          first = process.hrtime.bigint();
          firstCount = batch.messages.length;
        }
        count += batch.messages.length;
        last = process.hrtime.bigint();
        if (count >= expected) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  return (count - firstCount) / (Number(last - first!) / 1e9);
}

async function silenceAtScale(
  kafka: Kafka,
  topic: string,
  pgUrl: string,
  start: () => Promise<ServiceProcess>,
) {
  const healthy = SILENCE_DEVICES - SILENT;
  const base = 0x100000;
  // Produced first, read as a backlog: producing while the service reads would have the two share
  // the cores and take longer than the figures need.
  const producing = process.hrtime.bigint();
  const now = Date.now();
  await produce(kafka, topic, healthy, (i) => encode(uplink(deviceId(base + i), i, now)));
  log(
    `${healthy} devices reported (${round(healthy / (Number(process.hrtime.bigint() - producing) / 1e9))} msg/s produced)`,
  );
  const alerting = await start();
  const startedAt = process.hrtime.bigint();
  const ingest = await evaluationRate(alerting.url, healthy);
  await eventually(
    async () => ((await metric(alerting.url, 'fleet_alerting_journal_backlog')) === 0 ? true : undefined),
    300_000,
    'the silence index to take every device',
  );
  const indexReadySeconds = round(Number(process.hrtime.bigint() - startedAt) / 1e9);
  log(`silence index holds ${healthy} devices ${indexReadySeconds} s after the service started`);

  // The others report once, long enough ago that their deadlines pass 10 to 30 s from now.
  const lastSeenBase = Date.now() + 10_000 - SILENCE_TIMEOUT_MS;
  await produce(kafka, topic, SILENT, (i) =>
    encode(uplink(deviceId(base + healthy + i), i, lastSeenBase + Math.floor((i / SILENT) * 20_000))),
  );
  const db = new Client({ connectionString: pgUrl });
  await db.connect();
  try {
    const raised = await eventually(
      async () => {
        const { rows } = await db.query<{ n: string }>(
          `select count(*) as n from event_store.events where type = 'AlertRaised' and data->>'ruleKind' = 'silence'`,
        );
        return Number(rows[0]?.n) >= SILENT ? Number(rows[0]?.n) : undefined;
      },
      120_000,
      `${SILENT} silence alerts`,
    ).catch(() => -1);
    const { rows } = await db.query<{ n: string; p50: number; p99: number; max: number }>(
      `select count(*) as n,
         percentile_cont(0.5) within group (order by d) as p50, percentile_cont(0.99) within group (order by d) as p99,
         max(d) as max
       from (select extract(epoch from recorded_at) - (data->>'observedAt')::bigint / 1000.0 as d
             from event_store.events where type = 'AlertRaised' and data->>'ruleKind' = 'silence') x`,
    );
    const size = await db.query<{ mb: number }>(
      `select pg_total_relation_size('alerting.device_activity') / 1048576.0 as mb`,
    );
    const figures = {
      tracked: SILENCE_DEVICES,
      raised: raised < 0 ? Number(rows[0]?.n ?? 0) : raised,
      p50: round(Number(rows[0]?.p50), 2),
      p99: round(Number(rows[0]?.p99), 2),
      max: round(Number(rows[0]?.max), 2),
      indexReadySeconds,
      ingestRate: ingest.rate,
      rssMb: peakRssMb(alerting.pid),
      tableMb: round(Number(size.rows[0]?.mb)),
    };
    log(
      `silence: ${figures.raised} of ${SILENT} alerts, delay p50 ${figures.p50} s, p99 ${figures.p99} s, max ${figures.max} s; peak RSS ${figures.rssMb} MB`,
    );
    return figures;
  } finally {
    await db.end();
  }
}
