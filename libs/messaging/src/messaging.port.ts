/** A record to publish. The key decides the partition, hence the ordering scope (device id). */
export interface OutgoingMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Broker timestamp, epoch milliseconds. */
  readonly timestamp: number;
}

/** Publishes with acks from all in-sync replicas; resolves only once the broker has them. */
export interface MessagePublisher {
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Handles one message. Throw a {@link NonRetriableError} (or an `UndecodableMessageError`, or a
 * `ValidationError`) for a message that can never succeed: it is dead-lettered and the partition
 * moves on. Any other error is treated as transient and retried with backoff, never skipped.
 */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: MessageHandler;
  /** Where dead letters go for a source topic; default `<topic>.dlt`. */
  readonly deadLetterTopic?: (sourceTopic: string) => string;
  /** Start from the earliest offset when the group has none; default true. */
  readonly fromBeginning?: boolean;
}

/** A running consumer group member. */
export interface RunningConsumer {
  /** Stop fetching, finish the message in flight, commit its offset, disconnect. */
  stop(): Promise<void>;
}

/** A failure that will not go away by retrying (bad bytes, invalid content). */
export class NonRetriableError extends Error {
  override readonly name: string = 'NonRetriableError';
}

export const MESSAGE_PUBLISHER = Symbol('MESSAGE_PUBLISHER');
