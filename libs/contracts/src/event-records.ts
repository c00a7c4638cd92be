import type { RecordedEvent } from '@fleet/event-store';
import { toAvroConfigurationMap, type ConfigurationScalar } from './configuration-values';

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

/**
 * Event data whose plain shape Avro cannot carry as is: configuration maps become maps of
 * `fleet.common.ConfigurationValue`. Every other event's data is encoded unchanged (fields absent
 * from its schema, such as sealed root keys, are dropped by the encoder).
 */
const AVRO_DATA: Readonly<Record<string, (data: Record<string, unknown>) => Record<string, unknown>>> = {
  'fleet.device.DesiredConfigurationChanged': (data) => ({
    ...data,
    changes: toAvroConfigurationMap(data['changes'] as ConfigurationMap),
  }),
  'fleet.device.ConfigurationApplied': (data) => ({
    ...data,
    reported: toAvroConfigurationMap(data['reported'] as ConfigurationMap),
  }),
};

export function toAvroData(schema: string, data: Record<string, unknown>): Record<string, unknown> {
  return AVRO_DATA[schema]?.(data) ?? data;
}
