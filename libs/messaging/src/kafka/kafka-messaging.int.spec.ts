import {
  createKafka,
  ensureTopics,
  KafkaPublisher,
  NonRetriableError,
  startConsumer,
} from '@fleet/messaging';
import type { IncomingMessage, MessageHandler, RunningConsumer } from '@fleet/messaging';
import { eventually, testInfrastructure, uniqueName } from '@fleet/testing';
import type { Kafka } from 'kafkajs';

// Against the real broker that `npm test` starts: each test uses its own topics and group.
describe('Kafka messaging', () => {
  let kafka: Kafka;
  let publisher: KafkaPublisher;
  const consumers: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'messaging-test' });
    publisher = new KafkaPublisher(kafka);
    await publisher.connect();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await publisher.disconnect();
  });

  async function topics(): Promise<{ topic: string; dlt: string }> {
    const topic = uniqueName('test.messaging');
    const dlt = `${topic}.dlt`;
    await ensureTopics(kafka, [
      { name: topic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: dlt, partitions: 1, retentionMs: 3_600_000, compacted: false },
    ]);
    return { topic, dlt };
  }

  async function consume(topic: string, handler: MessageHandler, groupId = uniqueName('g')): Promise<void> {
    consumers.push(await startConsumer(kafka, publisher, { groupId, topics: [topic], handler }));
  }

  function collect(
    topic: string,
    groupId = uniqueName('g'),
  ): { seen: IncomingMessage[]; start(): Promise<void> } {
    const seen: IncomingMessage[] = [];
    return { seen, start: () => consume(topic, async (m) => void seen.push(m), groupId) };
  }

  it('keeps per-key order across partitions', async () => {
    const { topic } = await topics();
    const sink = collect(topic);
    await sink.start();
    for (let i = 0; i < 20; i++) {
      await publisher.publish(topic, [
        { key: 'device-a', value: Buffer.from(`a${i}`) },
        { key: 'device-b', value: Buffer.from(`b${i}`) },
      ]);
    }
    await eventually(async () => (sink.seen.length === 40 ? true : undefined), 20_000, '40 messages');
    const order = (key: string) => sink.seen.filter((m) => m.key === key).map((m) => m.value?.toString());
    expect(order('device-a')).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(order('device-b')).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
  });

  it('dead-letters a poison message with its reason and raw bytes, and moves on', async () => {
    const { topic, dlt } = await topics();
    const handled: string[] = [];
    await consume(topic, async (m) => {
      if (m.value?.toString() === 'poison') throw new NonRetriableError('payload is not valid telemetry');
      handled.push(m.value?.toString() ?? '');
    });
    const dead = collect(dlt);
    await dead.start();
    await publisher.publish(topic, [
      { key: 'k', value: Buffer.from('before') },
      { key: 'k', value: Buffer.from('poison'), headers: { 'event-id': 'e-1' } },
      { key: 'k', value: Buffer.from('after') },
    ]);
    await eventually(async () => (handled.length === 2 && dead.seen.length === 1 ? true : undefined), 20_000);
    expect(handled).toEqual(['before', 'after']);
    const letter = dead.seen[0]!;
    expect(letter.value?.toString()).toBe('poison');
    expect(letter.headers).toMatchObject({
      'dlt-source-topic': topic,
      'dlt-error-class': 'NonRetriableError',
      'dlt-reason': 'payload is not valid telemetry',
      'event-id': 'e-1',
    });
    expect(letter.headers['dlt-source-offset']).toMatch(/^\d+$/);
  });

  it('retries a transient failure until it passes, without skipping or dead-lettering', async () => {
    const { topic, dlt } = await topics();
    let failuresLeft = 3;
    const handled: string[] = [];
    await consume(topic, async (m) => {
      if (failuresLeft-- > 0) throw new Error('database is down');
      handled.push(m.value?.toString() ?? '');
    });
    const dead = collect(dlt);
    await dead.start();
    await publisher.publish(topic, [
      { key: 'k', value: Buffer.from('m1') },
      { key: 'k', value: Buffer.from('m2') },
    ]);
    await eventually(async () => (handled.length === 2 ? true : undefined), 20_000);
    expect(handled).toEqual(['m1', 'm2']);
    expect(dead.seen).toEqual([]);
  });

  it('commits on graceful stop, so a restarted member does not see handled messages again', async () => {
    const { topic } = await topics();
    const groupId = uniqueName('g');
    const first = collect(topic, groupId);
    await first.start();
    await publisher.publish(topic, [{ key: 'k', value: Buffer.from('once') }]);
    await eventually(async () => (first.seen.length === 1 ? true : undefined), 20_000);
    await consumers.pop()!.stop();

    const second = collect(topic, groupId);
    await second.start();
    await publisher.publish(topic, [{ key: 'k', value: Buffer.from('next') }]);
    await eventually(async () => (second.seen.length >= 1 ? true : undefined), 20_000);
    expect(second.seen.map((m) => m.value?.toString())).toEqual(['next']);
  });
});
