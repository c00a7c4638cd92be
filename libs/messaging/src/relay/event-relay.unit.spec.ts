import { randomUUID } from 'node:crypto';
import type { AvroCodec } from '@fleet/contracts';
import type { BatchHandler, EventStore, RecordedEvent, SubscribeOptions } from '@fleet/event-store';
import { chunkMessages, EventRelay, type EventRelayOptions } from './event-relay';
import type { MessagePublisher, OutgoingMessage } from '../messaging.port';

/** Encodes `stream@revision`: the relay's grouping and ordering do not depend on Avro. */
const codec = {
  encode: (_schema: string, value: { envelope: { stream: string; revision: number } }) =>
    Buffer.from(`${value.envelope.stream}@${value.envelope.revision}`),
} as unknown as AvroCodec;

let position = 0n;
function recorded(stream: string, revision: number): RecordedEvent {
  position++;
  return {
    id: randomUUID(),
    type: 'Tested',
    data: {},
    metadata: {
      actor: { type: 'operator', id: 'op-1' },
      reason: null,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      tenant: 'default',
    },
    stream,
    revision: BigInt(revision),
    position: { commit: position, prepare: position },
    recordedAt: new Date().toISOString(),
  };
}

interface Publish {
  readonly topic: string;
  readonly values: string[];
  finish(error?: Error): void;
}

/** A publisher whose requests the test completes, so that overlap and order are visible. */
class ControlledPublisher implements MessagePublisher {
  readonly requests: Publish[] = [];
  inFlight = 0;
  autoAck = true;

  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    this.inFlight++;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        this.inFlight--;
        if (error) reject(error);
        else resolve();
      };
      this.requests.push({ topic, values: messages.map((m) => m.value.toString()), finish });
      if (this.autoAck) setImmediate(() => finish());
    });
  }
}

/** Starts a relay on a fake store and returns the batch handler the relay subscribed with. */
async function startRelay(
  publisher: MessagePublisher,
  options: Partial<EventRelayOptions> = {},
): Promise<{ relayBatch: BatchHandler; subscribed: SubscribeOptions; relayed: string[] }> {
  let subscribed: SubscribeOptions | undefined;
  const store = {
    subscribe: async (subscribeOptions: SubscribeOptions) => {
      subscribed = subscribeOptions;
      return { checkpoint: undefined, caughtUp: async () => undefined, stop: async () => undefined };
    },
  } as unknown as EventStore;
  const relayed: string[] = [];
  const relay = new EventRelay(store, publisher, codec, {
    subscriptionId: 'relay-test',
    streamPrefixes: ['device-', 'command-'],
    onRelayed: (event, topic) => relayed.push(`${topic}:${event.stream}@${event.revision}`),
    ...options,
  });
  await relay.start();
  if (!subscribed?.batchHandler) throw new Error('the relay did not subscribe with a batch handler');
  return { relayBatch: subscribed.batchHandler, subscribed, relayed };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EventRelay', () => {
  it('subscribes with a batch handler and passes the batch size on', async () => {
    const { subscribed } = await startRelay(new ControlledPublisher(), { batchSize: 200 });
    expect(subscribed).toMatchObject({ subscriptionId: 'relay-test', batchSize: 200 });
    expect(subscribed.handler).toBeUndefined();
  });

  it('publishes each topic of a batch in one request, keeping store order within the topic', async () => {
    const publisher = new ControlledPublisher();
    const { relayBatch, relayed } = await startRelay(publisher);
    const batch = [
      recorded('device-a', 0),
      recorded('command-x', 0),
      recorded('device-b', 0),
      recorded('device-a', 1),
      recorded('command-x', 1),
      recorded('device-a', 2),
    ];
    await relayBatch(batch);
    expect(publisher.requests.map(({ topic, values }) => ({ topic, values }))).toEqual([
      { topic: 'fleet.device-events.v1', values: ['device-a@0', 'device-b@0', 'device-a@1', 'device-a@2'] },
      { topic: 'fleet.command-events.v1', values: ['command-x@0', 'command-x@1'] },
    ]);
    expect(relayed).toEqual([
      'fleet.device-events.v1:device-a@0',
      'fleet.device-events.v1:device-b@0',
      'fleet.device-events.v1:device-a@1',
      'fleet.device-events.v1:device-a@2',
      'fleet.command-events.v1:command-x@0',
      'fleet.command-events.v1:command-x@1',
    ]);
  });

  it('splits a large topic into requests sent one after the other, in order', async () => {
    const publisher = new ControlledPublisher();
    publisher.autoAck = false;
    const { relayBatch, relayed } = await startRelay(publisher, {
      requestLimits: { maxMessages: 3, maxBytes: 1_000_000 },
    });
    const batch = Array.from({ length: 8 }, (_, i) => recorded(`device-${i % 2}`, Math.floor(i / 2)));
    let done = false;
    const relaying = relayBatch(batch).then(() => (done = true));
    for (let request = 0; request < 3; request++) {
      await flush();
      expect(publisher.requests).toHaveLength(request + 1);
      expect(publisher.inFlight).toBe(1);
      expect(relayed).toHaveLength(request * 3);
      expect(done).toBe(false);
      publisher.requests[request]!.finish();
    }
    await relaying;
    expect(publisher.requests.map((r) => r.values.length)).toEqual([3, 3, 2]);
    expect(publisher.requests.flatMap((r) => r.values)).toEqual(
      batch.map((event) => `${event.stream}@${event.revision}`),
    );
    expect(relayed).toHaveLength(8);
  });

  it('fails the batch when a request fails, but only once every other request has settled', async () => {
    const publisher = new ControlledPublisher();
    publisher.autoAck = false;
    const { relayBatch, relayed } = await startRelay(publisher);
    let outcome: unknown;
    const relaying = relayBatch([recorded('device-a', 0), recorded('command-x', 0)]).catch(
      (error: unknown) => (outcome = error),
    );
    await flush();
    expect(publisher.requests.map((r) => r.topic)).toEqual([
      'fleet.device-events.v1',
      'fleet.command-events.v1',
    ]);
    const failure = new Error('broker unavailable');
    publisher.requests[0]!.finish(failure);
    await flush();
    expect(outcome).toBeUndefined();
    publisher.requests[1]!.finish();
    await relaying;
    expect(outcome).toBe(failure);
    expect(relayed).toEqual(['fleet.command-events.v1:command-x@0']);
  });

  it('publishes nothing from a batch holding an event it cannot route', async () => {
    const publisher = new ControlledPublisher();
    const { relayBatch } = await startRelay(publisher);
    await expect(relayBatch([recorded('device-a', 0), recorded('nocategory', 0)])).rejects.toThrow(
      'no topic for stream nocategory',
    );
    expect(publisher.requests).toEqual([]);
  });
});

describe('chunkMessages', () => {
  const message = (bytes: number): OutgoingMessage => ({ key: 'k', value: Buffer.alloc(bytes) });

  it('keeps order and cuts at the message count or the byte budget, whichever comes first', () => {
    const messages = [10, 10, 10, 10, 10].map(message);
    expect(chunkMessages(messages, { maxMessages: 2, maxBytes: 10_000 }).map((c) => c.length)).toEqual([
      2, 2, 1,
    ]);
    const sized = [400, 400, 400, 100].map(message);
    const chunks = chunkMessages(sized, { maxMessages: 100, maxBytes: 1_000 });
    expect(chunks.map((c) => c.map((m) => m.value.length))).toEqual([
      [400, 400],
      [400, 100],
    ]);
    expect(chunks.flat()).toEqual(sized);
  });

  it('sends a record larger than the budget on its own', () => {
    const chunks = chunkMessages([10, 5_000, 10].map(message), { maxMessages: 100, maxBytes: 1_000 });
    expect(chunks.map((c) => c.map((m) => m.value.length))).toEqual([[10], [5_000], [10]]);
  });

  it('counts headers and keys towards the budget', () => {
    const withHeaders: OutgoingMessage = {
      key: 'x'.repeat(100),
      value: Buffer.alloc(100),
      headers: { 'event-id': 'y'.repeat(200) },
    };
    expect(chunkMessages([withHeaders, withHeaders], { maxMessages: 10, maxBytes: 800 })).toHaveLength(2);
    expect(chunkMessages([], { maxMessages: 10, maxBytes: 800 })).toEqual([]);
  });
});
