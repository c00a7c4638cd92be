import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffDelay, sleep } from '@fleet/core';
import { isNonRetriable, toDeadLetter } from '../dead-letter';
import type { IncomingMessage, MessagePublisher, RunningConsumer } from '../messaging.port';
import { toIncoming } from './kafka-consumer';

export interface DecodedMessage<T> {
  readonly message: IncomingMessage;
  readonly value: T;
}

/** A run of decoded messages from one partition, in offset order. */
export interface DecodedBatch<T> {
  readonly topic: string;
  readonly partition: number;
  readonly items: readonly DecodedMessage<T>[];
}

export interface BatchConsumerOptions<T> {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Decodes and validates one message; throwing a non-retriable error dead-letters it. */
  readonly decode: (message: IncomingMessage) => T;
  /**
   * Handles a batch; any error is treated as transient and the same batch is retried, so the
   * handler must be idempotent (e.g. store the partition's next offset in its own transaction).
   */
  readonly handleBatch: (batch: DecodedBatch<T>) => Promise<void>;
  readonly deadLetterTopic?: (sourceTopic: string) => string;
  readonly fromBeginning?: boolean;
  readonly onDeadLetter?: (message: IncomingMessage, error: unknown) => void;
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * A consumer for high-volume topics: messages are handled a partition-batch at a time, bad ones
 * are dead-lettered with the reason, and offsets are committed only after the batch was handled.
 */
export async function startBatchConsumer<T>(
  kafka: Kafka,
  deadLetters: MessagePublisher,
  options: BatchConsumerOptions<T>,
): Promise<RunningConsumer> {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
  });
  const deadLetterTopic = (topic: string) => options.deadLetterTopic?.(topic) ?? `${topic}.dlt`;
  let stopping = false;

  const eachBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
  }: EachBatchPayload) => {
    const items: DecodedMessage<T>[] = [];
    const rejected: { message: IncomingMessage; error: unknown }[] = [];
    for (const raw of batch.messages) {
      const message = toIncoming(batch.topic, batch.partition, raw);
      try {
        items.push({ message, value: options.decode(message) });
      } catch (error) {
        if (!isNonRetriable(error)) throw error;
        rejected.push({ message, error });
      }
    }
    if (rejected.length > 0) {
      await deadLetters.publish(
        deadLetterTopic(batch.topic),
        rejected.map(({ message, error }) => toDeadLetter(message, error, options.groupId)),
      );
      rejected.forEach(({ message, error }) => options.onDeadLetter?.(message, error));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        if (items.length > 0)
          await options.handleBatch({ topic: batch.topic, partition: batch.partition, items });
        break;
      } catch (error) {
        // Throwing leaves the offsets uncommitted: the batch is redelivered to whoever takes over.
        if (stopping) throw error;
        options.onRetry?.(error, attempt);
        await sleep(backoffDelay(attempt, { maxMs: 10_000 }));
        await heartbeat();
      }
    }
    const last = batch.messages.at(-1);
    if (last) resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  };

  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch });
  return {
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}
