import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { MessagePublisher, OutgoingMessage } from '../messaging.port';

/**
 * kafkajs producer with acks from all in-sync replicas and one request in flight per broker, so a
 * retried batch can never overtake the next one and per-key order holds. kafkajs' idempotent mode
 * is experimental, so duplicates after a retry are possible: consumers deduplicate by event id.
 */
export class KafkaPublisher implements MessagePublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(kafka: Kafka) {
    // The Java-compatible partitioner puts a key on the same partition as Java clients would.
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  /** Connects once; a failed attempt is forgotten so the next publish tries again. */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    await this.producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.None,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
    });
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
