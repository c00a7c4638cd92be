import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { AvroCodec, SchemaCatalogue, toAvroConfigurationMap } from '@fleet/contracts';
import { createKafka, ensureTopics, KafkaPublisher } from '@fleet/messaging';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { serviceConfigKeys, sharedKeys } from '../../scripts/manifests';
import type { ServiceName } from '../../scripts/services';

/** The orderly-shutdown budget every service gets in the manifests (ConfigMap fleet-platform). */
export const SHUTDOWN_TIMEOUT_MS = Number(sharedKeys().find((k) => k.name === 'SHUTDOWN_TIMEOUT_MS')!.value);

export const kafka = () => createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-sigterm' });

/**
 * Environment that gives a service its own topics and consumer groups, whatever keys it has:
 * every `*_TOPIC` key gets a fresh topic (and its dead-letter topic), every key naming a group a
 * fresh name, so nothing is shared with other suites. Returns the names that identify its groups.
 */
export async function isolatedEnv(
  service: ServiceName,
): Promise<{ env: Record<string, string>; groupTokens: string[]; topics: Record<string, string> }> {
  const own = serviceConfigKeys().find((s) => s.service === service)!.own;
  const env: Record<string, string> = {};
  const topics: Record<string, string> = {};
  const groupTokens: string[] = [];
  for (const key of own) {
    if (/_TOPIC$/.test(key.name)) {
      topics[key.name] = env[key.name] = uniqueName(`e2e.sigterm.${key.name.toLowerCase()}`);
    } else if (/GROUP/.test(key.name) && key.value !== '') {
      const group = uniqueName(key.value);
      env[key.name] = group;
      groupTokens.push(group);
    }
  }
  const instance = uniqueName(`e2e-${service}`);
  env['INGESTION_INSTANCE_ID'] = instance;
  groupTokens.push(instance);
  await ensureTopics(
    kafka(),
    Object.values(topics).flatMap((name) => [
      { name, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${name}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
    ]),
  );
  return { env, groupTokens, topics };
}

/** State of every consumer group whose id holds one of `tokens` (Empty: its members left it). */
export async function groupStates(tokens: readonly string[]): Promise<Record<string, string>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const ids = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => tokens.some((t) => id.includes(t)));
    if (ids.length === 0) return {};
    const { groups } = await admin.describeGroups(ids);
    return Object.fromEntries(groups.map((g) => [g.groupId, g.state]));
  } finally {
    await admin.disconnect();
  }
}

/** Sum of the offsets `group` committed on `topic` (0 when none). */
export async function committed(group: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Publishes telemetry of made-up devices until stopped: Kafka work in flight for its consumers. */
export function telemetryStream(topic: string): { stop(): Promise<number> } {
  const publisher = new KafkaPublisher(kafka());
  const codec = new AvroCodec(SchemaCatalogue.load());
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const messages = Array.from({ length: 200 }, (_, i) => {
        const deviceId = `sigterm-${i % 50}`;
        return {
          key: deviceId,
          value: codec.encode('fleet.telemetry.DeviceTelemetry', {
            messageId: randomUUID(),
            deviceId,
            receivedAt: Date.now(),
            measuredAt: null,
            source: 'simulator',
            batteryPercent: 80,
            rssi: -70,
            snr: null,
            frameCounter: null,
            dataRate: null,
            airtimeMs: null,
            firmwareVersion: null,
            reportedConfiguration: toAvroConfigurationMap({}),
            readings: [],
          }),
        };
      });
      await publisher.publish(topic, messages);
      sent += messages.length;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await publisher.disconnect();
      return sent;
    },
  };
}

/**
 * A POST whose body arrives in two halves: the server has the request in hand (headers and half
 * the body) before `finish` sends the rest. Resolves to the status, or rejects when the
 * connection is dropped instead of answered.
 */
export function slowRequest(
  url: string,
  path: string,
  body: string,
  token?: string,
): { finish(): void; response: Promise<number> } {
  const req = request(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { finish: () => req.end(body.slice(half)), response };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
