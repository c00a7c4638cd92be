import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay, sleep } from '@fleet/core';
import { isNonRetriable, toDeadLetter } from '../dead-letter';
import type { ConsumerOptions, IncomingMessage, MessagePublisher, RunningConsumer } from '../messaging.port';

export interface ConsumerHooks {
  onDeadLetter?(message: IncomingMessage, error: unknown): void;
  onRetry?(message: IncomingMessage, error: unknown, attempt: number): void;
}

/**
 * Runs a consumer group member that never stalls on a poison message and never skips a message
 * because a dependency was down: non-retriable failures go to the dead-letter topic (then the
 * offset moves on); transient ones are retried with backoff until they pass or we shut down, in
 * which case the offset is not committed and the message is redelivered to whoever takes over.
 */
export async function startConsumer(
  kafka: Kafka,
  deadLetters: MessagePublisher,
  options: ConsumerOptions,
  hooks: ConsumerHooks = {},
): Promise<RunningConsumer> {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
  });
  const deadLetterTopic = (topic: string): string => options.deadLetterTopic?.(topic) ?? `${topic}.dlt`;
  let stopping = false;

  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    autoCommit: true,
    eachMessage: async (payload) => {
      const { topic, partition, message } = payload;
      const incoming = toIncoming(topic, partition, message);
      for (let attempt = 0; ; attempt++) {
        try {
          await options.handler(incoming);
          return;
        } catch (error) {
          if (isNonRetriable(error)) {
            await deadLetters.publish(deadLetterTopic(topic), [
              toDeadLetter(incoming, error, options.groupId),
            ]);
            hooks.onDeadLetter?.(incoming, error);
            return;
          }
          // Throwing leaves the offset uncommitted: the message is redelivered after the restart.
          if (stopping) throw error;
          hooks.onRetry?.(incoming, error, attempt);
          await sleep(backoffDelay(attempt + 1, { maxMs: 10_000 }));
          await payload.heartbeat();
        }
      }
    },
  });

  return {
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}

export function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value,
    headers,
    timestamp: Number(message.timestamp),
  };
}
