import { type AvroCodec, schemaNameForEvent, toEventRecord, topicForStream } from '@fleet/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@fleet/event-store';
import type { MessagePublisher, OutgoingMessage } from '../messaging.port';

export interface EventRelayOptions {
  /** Durable name of the relay's checkpoint, e.g. `relay-device`. */
  readonly subscriptionId: string;
  /** Stream categories this relay owns, e.g. `['device-']`. */
  readonly streamPrefixes: readonly string[];
  readonly onError?: (error: unknown) => void;
  readonly onRelayed?: (event: RecordedEvent, topic: string) => void;
}

/**
 * Moves domain events from the event store's log to Kafka. The only path from store to bus: the
 * store's checkpointed subscription advances only after Kafka acknowledged the record, so a crash
 * republishes (consumers deduplicate by event id) but never loses an event, and there is no
 * second write beside the append that could disagree with it.
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
      handler: (event) => this.relay(event),
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

  private async relay(event: RecordedEvent): Promise<void> {
    const topic = topicForStream(event.stream);
    if (!topic) throw new Error(`no topic for stream ${event.stream}`);
    await this.publisher.publish(topic, [toMessage(event, this.codec)]);
    this.options.onRelayed?.(event, topic);
  }
}

/** Record key: the device the event is about when there is one, else the aggregate id. */
export function toMessage(event: RecordedEvent, codec: AvroCodec): OutgoingMessage {
  const schema = schemaNameForEvent(event);
  const deviceId = typeof event.data['deviceId'] === 'string' ? event.data['deviceId'] : undefined;
  return {
    key: deviceId ?? event.stream.slice(event.stream.indexOf('-') + 1),
    value: codec.encode(schema, toEventRecord(event)),
    headers: {
      'event-id': event.id,
      'event-type': event.type,
      'content-type': 'application/vnd.apache.avro+binary; encoding=single-object',
      'avro-schema': schema,
      'correlation-id': event.metadata.correlationId,
    },
  };
}
