import {
  AVRO_CONTENT_TYPE,
  type AvroCodec,
  schemaNameForEvent,
  toEventRecord,
  topicForStream,
} from '@fleet/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@fleet/event-store';
import type { MessagePublisher, OutgoingMessage } from '../messaging.port';

export interface EventRelayOptions {
  /** Durable name of the relay's checkpoint, e.g. `relay-device`. */
  readonly subscriptionId: string;
  /** Stream categories this relay owns, e.g. `['device-']`. */
  readonly streamPrefixes: readonly string[];
  /** Events read from the store and relayed per batch; default 500 (the store's default). */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
  /** Called per event, in store order within its topic, once Kafka acknowledged its record. */
  readonly onRelayed?: (event: RecordedEvent, topic: string) => void;
  /** Largest produce request; default {@link DEFAULT_CHUNK_LIMITS}. */
  readonly requestLimits?: ChunkLimits;
  /** Topic of a stream's events; default the catalogue's (a deployment or test may rename it). */
  readonly topicForStream?: (stream: string) => string | undefined;
}

/** Limits of one produce request, well below Kafka's default `message.max.bytes` of 1 MiB. */
export interface ChunkLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { maxMessages: 500, maxBytes: 900 * 1024 };

/** Bytes a record adds to a request besides its key, value and headers (lengths, offsets, ...). */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * Moves domain events from the event store's log to Kafka. The only path from store to bus: the
 * store's checkpointed subscription advances only after Kafka acknowledged the records, so a crash
 * republishes (consumers deduplicate by event id) but never loses an event, and there is no
 * second write beside the append that could disagree with it.
 *
 * Events are relayed a batch at a time: the batch's events are grouped by topic, keeping their
 * store order (so a stream's events stay in order within its topic), and each topic's records go
 * out in as few produce requests as {@link ChunkLimits} allow, one after the other. The checkpoint
 * moves past the batch once every request has been acknowledged; if one fails, the whole batch is
 * published again after a backoff, duplicates included.
 */
export class EventRelay {
  private subscription?: Subscription;

  constructor(
    private readonly store: EventStore,
    private readonly publisher: MessagePublisher,
    private readonly codec: AvroCodec,
    private readonly options: EventRelayOptions,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.store.subscribe({
      subscriptionId: this.options.subscriptionId,
      streamPrefixes: this.options.streamPrefixes,
      batchHandler: (events) => this.relay(events),
      ...(this.options.batchSize === undefined ? {} : { batchSize: this.options.batchSize }),
      ...(this.options.onError ? { onError: this.options.onError } : {}),
    });
  }

  /** Resolves once everything committed before the call is on Kafka. */
  caughtUp(): Promise<void> {
    if (!this.subscription) throw new Error('relay not started');
    return this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private async relay(events: readonly RecordedEvent[]): Promise<void> {
    // Everything is encoded before anything is sent: an event that cannot be fails the batch whole.
    const byTopic = new Map<string, { events: RecordedEvent[]; messages: OutgoingMessage[] }>();
    for (const event of events) {
      const topic = (this.options.topicForStream ?? topicForStream)(event.stream);
      if (!topic) throw new Error(`no topic for stream ${event.stream}`);
      let group = byTopic.get(topic);
      if (!group) byTopic.set(topic, (group = { events: [], messages: [] }));
      group.events.push(event);
      group.messages.push(toMessage(event, this.codec));
    }
    // Topics are independent, so they go out side by side; within one, requests go one after the
    // other so that a key's records keep their order. All settle before the batch fails, so that
    // its retry never races a request of the failed attempt.
    const results = await Promise.allSettled(
      [...byTopic].map(([topic, group]) => this.publishInOrder(topic, group.events, group.messages)),
    );
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async publishInOrder(
    topic: string,
    events: readonly RecordedEvent[],
    messages: readonly OutgoingMessage[],
  ): Promise<void> {
    let sent = 0;
    for (const chunk of chunkMessages(messages, this.options.requestLimits)) {
      await this.publisher.publish(topic, chunk);
      for (const event of events.slice(sent, sent + chunk.length)) this.options.onRelayed?.(event, topic);
      sent += chunk.length;
    }
  }
}

/**
 * Record key: the device the event is about when there is one, else the aggregate id. Campaigns
 * are keyed by campaign id even for their device steps, so a rollout stays in order on one partition.
 */
export function toMessage(event: RecordedEvent, codec: AvroCodec): OutgoingMessage {
  const schema = schemaNameForEvent(event);
  const aggregateId = event.stream.slice(event.stream.indexOf('-') + 1);
  const deviceId = typeof event.data['deviceId'] === 'string' ? event.data['deviceId'] : undefined;
  return {
    key: event.stream.startsWith('campaign-') ? aggregateId : (deviceId ?? aggregateId),
    value: codec.encode(schema, toEventRecord(event)),
    headers: {
      'event-id': event.id,
      'event-type': event.type,
      'content-type': AVRO_CONTENT_TYPE,
      'avro-schema': schema,
      'correlation-id': event.metadata.correlationId,
    },
  };
}

/**
 * Splits `messages` in order into runs of at most `maxMessages` records and about `maxBytes`; a
 * record larger than `maxBytes` on its own goes alone (the broker decides whether it fits).
 */
export function chunkMessages(
  messages: readonly OutgoingMessage[],
  limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageSize(message);
    if (chunk.length > 0 && (chunk.length >= limits.maxMessages || bytes + size > limits.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function messageSize(message: OutgoingMessage): number {
  let size = RECORD_OVERHEAD_BYTES + Buffer.byteLength(message.key) + message.value.length;
  for (const [name, value] of Object.entries(message.headers ?? {}))
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
  return size;
}
