import { randomUUID } from 'node:crypto';
import { AvroCodec, type EventRecord, SchemaCatalogue } from '@fleet/contracts';
import { type EventToAppend, PostgresEventStore } from '@fleet/event-store';
import {
  createKafka,
  ensureTopics,
  EventRelay,
  type EventRelayOptions,
  KafkaPublisher,
  type MessagePublisher,
  type OutgoingMessage,
  type RunningConsumer,
  startConsumer,
} from '@fleet/messaging';
import { createTestSchema, eventually, testInfrastructure, uniqueName } from '@fleet/testing';
import type { Kafka } from 'kafkajs';

const STREAMS = 50;
const PER_STREAM = 40;
const TOTAL = STREAMS * PER_STREAM;

type Envelope = EventRecord['envelope'];

// The real path: a PostgreSQL event store in a schema of its own, the relay, the real broker. The
// relay's records go to a topic of the test's own instead of the catalogue's `fleet.device-events.v1`.
describe('EventRelay: PostgreSQL to Kafka', () => {
  let kafka: Kafka;
  let publisher: KafkaPublisher;
  let codec: AvroCodec;
  let database: Awaited<ReturnType<typeof createTestSchema>>;
  let store: PostgresEventStore;
  const consumers: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'relay-test' });
    publisher = new KafkaPublisher(kafka);
    await publisher.connect();
    codec = new AvroCodec(SchemaCatalogue.load());
    database = await createTestSchema('relay');
    store = await PostgresEventStore.create({
      pool: database.pool,
      schema: database.schema,
      pollIntervalMs: 50,
    });
  });

  afterAll(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await store?.close();
    await publisher?.disconnect();
    await database?.drop();
  });

  /** A fresh topic and a publisher sending there whatever topic the relay names; it counts requests. */
  async function testTopic(): Promise<{ topic: string; requests: number[]; to: MessagePublisher }> {
    const topic = uniqueName('test.relay');
    await ensureTopics(kafka, [{ name: topic, partitions: 3, retentionMs: 3_600_000, compacted: false }]);
    const requests: number[] = [];
    const to: MessagePublisher = {
      publish: (_topic, messages) => {
        requests.push(messages.length);
        return publisher.publish(topic, messages);
      },
    };
    return { topic, requests, to };
  }

  /** Everything on `topic` from the beginning, decoded, in the order each partition holds it. */
  async function readTopic(topic: string): Promise<Envelope[]> {
    const seen: Envelope[] = [];
    consumers.push(
      await startConsumer(kafka, publisher, {
        groupId: uniqueName('relay-test'),
        topics: [topic],
        handler: async (message) => void seen.push(codec.decode<EventRecord>(message.value!).value.envelope),
      }),
    );
    return seen;
  }

  function relay(
    devices: { prefix: string },
    to: MessagePublisher,
    options: Partial<EventRelayOptions> = {},
  ): EventRelay {
    return new EventRelay(store, to, codec, {
      subscriptionId: `relay-${devices.prefix}`,
      streamPrefixes: [devices.prefix],
      onError: () => undefined,
      ...options,
    });
  }

  /** 50 device streams of the test's own (under `prefix`); `ids` of what was appended to them. */
  function fleet(): { append(perStream: number): Promise<void>; ids: Set<string>; prefix: string } {
    const tag = randomUUID().slice(0, 8);
    const devices = Array.from({ length: STREAMS }, () => `${tag}-${randomUUID()}`);
    const ids = new Set<string>();
    const event = (deviceId: string): EventToAppend => {
      const id = randomUUID();
      ids.add(id);
      return {
        id,
        type: 'DeviceProvisioned',
        data: {
          deviceId,
          serial: `SN-${id.slice(0, 8)}`,
          manufacturer: 'Acme',
          model: 'WM-200',
          hardwareRevision: null,
          firmwareVersion: '1.0.0',
          tags: ['relay-test'],
          attributes: {},
        },
        metadata: {
          actor: { type: 'operator', id: 'relay-test' },
          reason: null,
          occurredAt: new Date().toISOString(),
          correlationId: randomUUID(),
          causationId: null,
          tenant: 'default',
        },
      };
    };
    // Ten writers, five streams each, appending 1 to 4 events at a time: streams interleave in the log.
    const append = (perStream: number): Promise<void> =>
      Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          const mine = devices.filter((_, d) => d % 10 === w);
          const left = new Map(mine.map((d) => [d, perStream]));
          for (let round = 0; left.size > 0; round++) {
            for (const [deviceId, count] of left) {
              const size = Math.min(count, 1 + ((round + w) % 4));
              await store.append(
                `device-${deviceId}`,
                Array.from({ length: size }, () => event(deviceId)),
                'any',
              );
              if (count === size) left.delete(deviceId);
              else left.set(deviceId, count - size);
            }
          }
        }),
      ).then(() => undefined);
    return { append, ids, prefix: `device-${tag}-` };
  }

  /** Per stream, the revisions in the order the topic holds them. */
  function byStream(records: readonly Envelope[]): Map<string, number[]> {
    const streams = new Map<string, number[]>();
    for (const { stream, revision } of records)
      streams.set(stream, [...(streams.get(stream) ?? []), revision]);
    return streams;
  }

  const everything = (records: Envelope[], ids: Set<string>) =>
    eventually(
      async () => (new Set(records.map((r) => r.eventId)).size >= ids.size ? records : undefined),
      60_000,
      `${ids.size} distinct events on the topic`,
    );

  it('relays 2,000 events of 50 streams in batches, each once and in stream order', async () => {
    const { topic, requests, to } = await testTopic();
    const seen = await readTopic(topic);
    const devices = fleet();
    const relayed: string[] = [];
    await devices.append(PER_STREAM / 2);
    const running = relay(devices, to, { onRelayed: (event) => relayed.push(event.id) });
    await running.start();
    await devices.append(PER_STREAM / 2); // half of it while the relay runs
    await running.caughtUp();
    await running.stop();

    const records = await everything(seen, devices.ids);
    expect(relayed).toHaveLength(TOTAL);
    expect(new Set(relayed)).toEqual(devices.ids);
    // The backlog went out in full requests of 500; no request was larger.
    expect(Math.max(...requests)).toBe(500);
    expect(requests.length).toBeLessThan(TOTAL / 4);
    // Give duplicates a moment to show up, were there any.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(records).toHaveLength(TOTAL);
    expect(new Set(records.map((r) => r.eventId))).toEqual(devices.ids);
    const inOrder = Array.from({ length: PER_STREAM }, (_, i) => i);
    const streams = byStream(records);
    expect(streams.size).toBe(STREAMS);
    for (const [stream, revisions] of streams)
      expect({ stream, revisions }).toEqual({ stream, revisions: inOrder });
  });

  it('after a restart mid-way, misses nothing and keeps each stream in order (duplicates allowed)', async () => {
    const { topic, to } = await testTopic();
    const seen = await readTopic(topic);
    const devices = fleet();
    await devices.append(PER_STREAM / 2);
    const log = await store.readAll({ streamPrefixes: [devices.prefix] });

    // Two batches go through; the third is half sent when the broker "goes away" for good.
    let requests = 0;
    let brokerDown: () => void = () => undefined;
    const down = new Promise<void>((resolve) => (brokerDown = resolve));
    const failing: MessagePublisher = {
      publish: async (name: string, messages: readonly OutgoingMessage[]) => {
        if (++requests <= 2) return to.publish(name, messages);
        if (requests === 3) await to.publish(name, messages.slice(0, messages.length / 2));
        brokerDown();
        throw new Error('broker unavailable');
      },
    };
    const first = relay(devices, failing, { batchSize: 200 });
    await first.start();
    await down;
    await first.stop();
    // Checkpointed right after the second batch: the 400th event.
    expect(log).toHaveLength(TOTAL / 2);
    expect(await store.readCheckpoint(`relay-${devices.prefix}`)).toEqual(log[399]!.position);

    // Restarted, with more events arriving meanwhile.
    const second = relay(devices, to, { batchSize: 200 });
    const appending = devices.append(PER_STREAM / 2);
    await second.start();
    await appending;
    await second.caughtUp();
    await second.stop();

    const records = await everything(seen, devices.ids);
    expect(new Set(records.map((r) => r.eventId))).toEqual(devices.ids);
    expect(records.length).toBeGreaterThanOrEqual(TOTAL + 100); // the half-sent batch came again
    const streams = byStream(records);
    expect(streams.size).toBe(STREAMS);
    for (const [stream, revisions] of streams) {
      // A stream may go back (a republished batch) but never skips ahead; first sightings are 0..39.
      const skips = revisions.filter((revision, i) => revision > Math.max(-1, ...revisions.slice(0, i)) + 1);
      const firstSightings = [...new Set(revisions)];
      expect({ stream, skips, firstSightings }).toEqual({
        stream,
        skips: [],
        firstSightings: Array.from({ length: PER_STREAM }, (_, i) => i),
      });
    }
  });
});
