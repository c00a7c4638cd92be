import { FleetError } from '@fleet/core';
import type { IncomingMessage, OutgoingMessage } from './messaging.port';
import { NonRetriableError } from './messaging.port';

const NON_RETRIABLE_NAMES = new Set(['UndecodableMessageError', 'NonRetriableError', 'UplinkRejectedError']);

/** Bad input never gets better by retrying; everything else (broker, database down) might. */
export function isNonRetriable(error: unknown): boolean {
  if (error instanceof NonRetriableError) return true;
  if (error instanceof FleetError) return error.code === 'VALIDATION_FAILED' || error.code === 'NOT_FOUND';
  return error instanceof Error && NON_RETRIABLE_NAMES.has(error.name);
}

/** The dead letter keeps the raw bytes and says where they came from and why they were refused. */
export function toDeadLetter(
  message: IncomingMessage,
  error: unknown,
  consumerGroup: string,
): OutgoingMessage {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    key: message.key ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      'dlt-source-topic': message.topic,
      'dlt-source-partition': String(message.partition),
      'dlt-source-offset': message.offset,
      'dlt-consumer-group': consumerGroup,
      'dlt-error-class': error instanceof Error ? error.name : typeof error,
      'dlt-reason': reason.slice(0, 2000),
      'dlt-failed-at': new Date().toISOString(),
    },
  };
}
