import type { RecordedEvent } from '@fleet/event-store';
import { UndecodableMessageError } from './avro-codec';
import { CAMPAIGN_AVRO_DATA, CAMPAIGN_PLAIN_DATA } from './campaign-event-records';
import { COMMAND_AVRO_DATA, COMMAND_PLAIN_DATA } from './command-event-records';
import {
  fromAvroConfigurationMap,
  toAvroConfigurationMap,
  type AvroConfigurationMap,
  type ConfigurationScalar,
} from './configuration-values';

/** The Avro schema of a domain event: `fleet.<stream category>.<event type>`. */
export function schemaNameForEvent(event: Pick<RecordedEvent, 'stream' | 'type'>): string {
  return `fleet.${event.stream.slice(0, event.stream.indexOf('-'))}.${event.type}`;
}

/** Shape of every domain event on Kafka: `{ envelope, data }` (see schemas/fleet.common). */
export interface EventRecord<TData = Record<string, unknown>> {
  envelope: {
    eventId: string;
    eventType: string;
    stream: string;
    revision: number;
    occurredAt: number;
    recordedAt: number;
    actor: { type: 'UNKNOWN' | 'OPERATOR' | 'DEVICE' | 'SERVICE'; id: string };
    reason: string | null;
    correlationId: string;
    causationId: string | null;
    tenant: string;
  };
  data: TData;
}

export function toEventRecord(event: RecordedEvent): EventRecord {
  const { metadata } = event;
  return {
    envelope: {
      eventId: event.id,
      eventType: event.type,
      stream: event.stream,
      revision: Number(event.revision),
      occurredAt: Date.parse(metadata.occurredAt),
      recordedAt: Date.parse(event.recordedAt),
      actor: { type: metadata.actor.type.toUpperCase() as 'OPERATOR', id: metadata.actor.id },
      reason: metadata.reason,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      tenant: metadata.tenant,
    },
    data: toAvroData(schemaNameForEvent(event), event.data),
  };
}

type ConfigurationMap = Readonly<Record<string, ConfigurationScalar | null>>;

type DataMapper = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Event data whose plain shape Avro cannot carry as is: configuration maps and other scalar values
 * become `fleet.common.ConfigurationValue`s, ISO-8601 instants of command and campaign events
 * timestamp-millis, a campaign's target selector one record. Every other event's data is encoded
 * unchanged (fields absent from its schema, such as sealed root keys, are dropped by the encoder).
 */
const AVRO_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.device.DesiredConfigurationChanged': (data) => ({
    ...data,
    changes: toAvroConfigurationMap(data['changes'] as ConfigurationMap),
  }),
  'fleet.device.ConfigurationApplied': (data) => ({
    ...data,
    reported: toAvroConfigurationMap(data['reported'] as ConfigurationMap),
  }),
  ...COMMAND_AVRO_DATA,
  ...CAMPAIGN_AVRO_DATA,
};

/** The inverse of {@link AVRO_DATA}, for readers. */
const PLAIN_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.device.DesiredConfigurationChanged': (data) => ({
    ...data,
    changes: fromAvroConfigurationMap(data['changes'] as AvroConfigurationMap),
  }),
  'fleet.device.ConfigurationApplied': (data) => ({
    ...data,
    reported: fromAvroConfigurationMap(data['reported'] as AvroConfigurationMap),
  }),
  ...COMMAND_PLAIN_DATA,
  ...CAMPAIGN_PLAIN_DATA,
};

export function toAvroData(schema: string, data: Record<string, unknown>): Record<string, unknown> {
  return AVRO_DATA[schema]?.(data) ?? data;
}

/**
 * A decoded event's `data` back in the shape its producer's domain uses (the inverse of
 * {@link toAvroData}): configuration values as plain scalars, command instants as ISO-8601 UTC
 * strings (`toISOString`). A value of a type this reader does not know yet reads as absent.
 */
export function fromAvroData(schema: string, data: Record<string, unknown>): Record<string, unknown> {
  return PLAIN_DATA[schema]?.(data) ?? data;
}

/** A domain event as its producer's domain shapes it: a member of its `{ type, data }` union. */
export interface PlainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** A decoded `{ envelope, data }` record as its domain event (`type` from `envelope.eventType`). */
export function fromEventRecord<TEvent extends PlainEvent = { type: string; data: Record<string, unknown> }>(
  record: EventRecord,
): TEvent {
  const { eventType, stream } = record.envelope;
  return {
    type: eventType,
    data: fromAvroData(schemaNameForEvent({ stream, type: eventType }), record.data),
  } as unknown as TEvent;
}

/**
 * A decoded record of `fleet.command-events.v1` as its command event, e.g.
 * `fromCommandEventRecord<CommandEvent>(codec.decode<EventRecord>(bytes).value)`.
 * @throws UndecodableMessageError (non-retriable: dead-letter it) when it is not a command's event.
 */
export function fromCommandEventRecord<
  TEvent extends PlainEvent = { type: string; data: Record<string, unknown> },
>(record: EventRecord): TEvent {
  if (!record.envelope.stream.startsWith('command-')) {
    throw new UndecodableMessageError(`not a command event: stream ${record.envelope.stream}`);
  }
  return fromEventRecord<TEvent>(record);
}

/**
 * A decoded record of `fleet.campaign-events.v1` as its campaign event, e.g.
 * `fromCampaignEventRecord<CampaignEvent>(codec.decode<EventRecord>(bytes).value)`.
 * @throws UndecodableMessageError (non-retriable: dead-letter it) when it is not a campaign's event.
 */
export function fromCampaignEventRecord<
  TEvent extends PlainEvent = { type: string; data: Record<string, unknown> },
>(record: EventRecord): TEvent {
  if (!record.envelope.stream.startsWith('campaign-')) {
    throw new UndecodableMessageError(`not a campaign event: stream ${record.envelope.stream}`);
  }
  return fromEventRecord<TEvent>(record);
}
