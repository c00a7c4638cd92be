import { fromEventRecord, type AvroCodec, type EventRecord } from '@fleet/contracts';
import { NonRetriableError, type IncomingMessage } from '@fleet/messaging';
import type { EventSource } from '../../rules/rule';

/** A domain event read from one of the event topics, whatever its encoding. */
export interface IncomingEvent {
  readonly source: EventSource;
  readonly eventId: string;
  readonly eventType: string;
  readonly stream: string | null;
  readonly revision: number | null;
  /** Device the event is about: `data.deviceId`, else the record key. */
  readonly deviceId: string | null;
  readonly occurredAt: number;
  readonly correlationId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

interface EnvelopeRecord {
  envelope: {
    eventId: string;
    eventType: string;
    stream: string;
    revision: number;
    occurredAt: number | string;
    correlationId?: string;
  };
  data: Record<string, unknown>;
}

const MAGIC = 0xc3;
const AUTHENTICATION_REFUSED = 'fleet.access.DeviceAuthenticationRefused';

/** `fleet.access.DeviceAuthenticationRefused`: an observation with its own id and time, no envelope. */
interface RefusalRecord {
  refusalId: string;
  eventType: string;
  deviceId: string | null;
  observedAt: number;
  [field: string]: unknown;
}

/**
 * Decodes an event record: Avro single-object encoding when its schema is in the catalogue (the
 * contract; authentication refusals are observations without an envelope, mapped to events here),
 * or JSON `{envelope, data}` for event types whose schema is not published yet. Ingestion's dead
 * letters become `UplinkDeadLettered` events of their device, with the dead-letter code and reason.
 */
export function decodeEvent(codec: AvroCodec, source: EventSource, message: IncomingMessage): IncomingEvent {
  if (source === 'telemetry-dead-letters') return deadLetterEvent(message);
  if (!message.value || message.value.length === 0) throw new NonRetriableError('empty event record');
  const avro = message.value[0] === MAGIC;
  const decoded = avro ? codec.decode<EnvelopeRecord | RefusalRecord>(message.value) : undefined;
  if (decoded?.schema === AUTHENTICATION_REFUSED)
    return refusalEvent(decoded.value as RefusalRecord, message);
  const record = decoded ? (decoded.value as EnvelopeRecord) : parseJson(message.value);
  const { envelope } = record;
  const occurredAt =
    typeof envelope.occurredAt === 'number' ? envelope.occurredAt : Date.parse(envelope.occurredAt);
  if (!envelope.eventId || !envelope.eventType || !Number.isFinite(occurredAt)) {
    throw new NonRetriableError('event without eventId, eventType or a valid occurredAt');
  }
  // Avro carries configuration values and instants in their contract shapes; rules see plain values.
  const data = avro ? fromEventRecord(record as unknown as EventRecord).data : (record.data ?? {});
  // Campaign events are keyed by campaign id: only their device steps name a device.
  const keyIsDevice = source !== 'campaign-events';
  const deviceId = typeof data['deviceId'] === 'string' ? data['deviceId'] : keyIsDevice ? message.key : null;
  return {
    source,
    eventId: envelope.eventId,
    eventType: envelope.eventType,
    stream: envelope.stream ?? null,
    revision: typeof envelope.revision === 'number' ? envelope.revision : null,
    deviceId: deviceId || null,
    occurredAt,
    correlationId: envelope.correlationId ?? null,
    data,
  };
}

function refusalEvent(record: RefusalRecord, message: IncomingMessage): IncomingEvent {
  const { refusalId, eventType, deviceId, observedAt, ...rest } = record;
  return {
    source: 'device-access',
    eventId: refusalId,
    eventType,
    stream: null,
    revision: null,
    deviceId: deviceId ?? (message.key || null),
    occurredAt: observedAt,
    correlationId: null,
    data: { deviceId, ...rest },
  };
}

function parseJson(bytes: Buffer): EnvelopeRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new NonRetriableError(`neither Avro nor JSON: ${(error as Error).message}`);
  }
  const record = parsed as Partial<EnvelopeRecord> | null;
  if (
    !record ||
    typeof record !== 'object' ||
    typeof record.envelope !== 'object' ||
    record.envelope === null
  ) {
    throw new NonRetriableError('a JSON event record is {"envelope": {...}, "data": {...}}');
  }
  return record as EnvelopeRecord;
}

function deadLetterEvent(message: IncomingMessage): IncomingEvent {
  const failedAt = Date.parse(message.headers['dlt-failed-at'] ?? '');
  return {
    source: 'telemetry-dead-letters',
    eventId: `${message.topic}/${message.partition}/${message.offset}`,
    eventType: 'UplinkDeadLettered',
    stream: null,
    revision: null,
    deviceId: message.key || null,
    occurredAt: Number.isFinite(failedAt) ? failedAt : message.timestamp,
    correlationId: null,
    data: {
      code: message.headers['dlt-code'] ?? null,
      reason: message.headers['dlt-reason'] ?? null,
      errorClass: message.headers['dlt-error-class'] ?? null,
    },
  };
}
