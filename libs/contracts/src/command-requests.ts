import { fromAvroTimestamp, toAvroTimestamp } from './command-event-records';
import {
  fromAvroConfigurationMap,
  fromAvroConfigurationValue,
  toAvroConfigurationValue,
  type AvroConfigurationValue,
  type ConfigurationScalar,
} from './configuration-values';

export const COMMAND_REQUEST_SCHEMA = 'fleet.dispatch.CommandRequest';

/** Actor kinds as the envelope writes them (Avro enum symbols). */
type AvroActorType = 'UNKNOWN' | 'OPERATOR' | 'DEVICE' | 'SERVICE';
export type RequestActorType = 'operator' | 'device' | 'service';

/** A command request as services handle it (`fleet.dispatch.CommandRequest` in plain types). */
export interface CommandRequestMessage {
  readonly commandId: string;
  readonly deviceId: string;
  readonly operation: string;
  readonly path: string;
  readonly value: ConfigurationScalar | null;
  readonly arguments: string | null;
  readonly attributes: Readonly<Record<'pmin' | 'pmax' | 'gt' | 'lt' | 'st', number | undefined>> | null;
  readonly instanceValues: Readonly<Record<string, ConfigurationScalar>> | null;
  readonly origin: string;
  readonly timeToLiveSeconds: number | null;
  readonly maxAttempts: number | null;
  /** ISO-8601. */
  readonly requestedAt: string;
  readonly actor: { readonly type: RequestActorType; readonly id: string };
  readonly reason: string | null;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly tenant: string;
}

interface CommandRequestRecord extends Omit<
  CommandRequestMessage,
  'value' | 'instanceValues' | 'requestedAt' | 'actor' | 'attributes'
> {
  value: AvroConfigurationValue | null;
  instanceValues: Record<string, AvroConfigurationValue> | null;
  attributes: Record<string, number | null> | null;
  requestedAt: number;
  actor: { type: AvroActorType; id: string };
}

export function toCommandRequestRecord(message: CommandRequestMessage): CommandRequestRecord {
  const { attributes, instanceValues, value } = message;
  return {
    ...message,
    value: value === null ? null : toAvroConfigurationValue(value),
    attributes: attributes
      ? Object.fromEntries(
          (['pmin', 'pmax', 'gt', 'lt', 'st'] as const).map((k) => [k, attributes[k] ?? null]),
        )
      : null,
    instanceValues: instanceValues
      ? Object.fromEntries(Object.entries(instanceValues).map(([k, v]) => [k, toAvroConfigurationValue(v)]))
      : null,
    requestedAt: toAvroTimestamp(message.requestedAt),
    actor: { type: message.actor.type.toUpperCase() as AvroActorType, id: message.actor.id },
  };
}

export function fromCommandRequestRecord(record: CommandRequestRecord): CommandRequestMessage {
  const type =
    record.actor.type === 'UNKNOWN' ? 'service' : (record.actor.type.toLowerCase() as RequestActorType);
  return {
    ...record,
    value: record.value === null ? null : (fromAvroConfigurationValue(record.value) ?? null),
    attributes: record.attributes
      ? (Object.fromEntries(
          Object.entries(record.attributes).filter(([, v]) => v !== null),
        ) as CommandRequestMessage['attributes'])
      : null,
    instanceValues: record.instanceValues
      ? (fromAvroConfigurationMap(record.instanceValues) as Record<string, ConfigurationScalar>)
      : null,
    requestedAt: fromAvroTimestamp(record.requestedAt),
    actor: { type, id: record.actor.id },
  };
}
