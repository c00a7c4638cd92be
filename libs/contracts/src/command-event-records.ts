import {
  fromAvroConfigurationMap,
  fromAvroConfigurationValue,
  toAvroConfigurationValue,
  type AvroConfigurationValue,
  type ConfigurationScalar,
} from './configuration-values';

/**
 * How the command events' plain data (`apps/command-dispatcher/src/commands/command-events.ts`)
 * differs from `schemas/fleet.command/*`: scalar values travel as `fleet.common.ConfigurationValue`
 * (avsc cannot pick between `long` and `double` for a JavaScript number) and ISO-8601 instants as
 * timestamp-millis. Fields that need no mapping pass through unchanged.
 */
type DataMapper = (data: Record<string, unknown>) => Record<string, unknown>;

/** `2026-11-22T09:30:00.125Z` → epoch milliseconds; refuses what is not an instant. */
export function toAvroTimestamp(iso: string): number {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new TypeError(`not an ISO-8601 instant: ${String(iso)}`);
  return millis;
}

/** Epoch milliseconds → ISO-8601 in UTC with milliseconds, as `Date#toISOString` writes it. */
export function fromAvroTimestamp(millis: number): string {
  return new Date(millis).toISOString();
}

const scalarOrNull = (value: unknown): AvroConfigurationValue | null =>
  value === null || value === undefined ? null : toAvroConfigurationValue(value as ConfigurationScalar);

/** A value of a type this reader does not know (added to the record later) reads as null. */
const plainOrNull = (value: AvroConfigurationValue | null): ConfigurationScalar | null =>
  value === null ? null : (fromAvroConfigurationValue(value) ?? null);

interface PlainReturnedValue {
  readonly path: string;
  readonly value: ConfigurationScalar;
  readonly time: string | null;
}
interface AvroReturnedValue {
  readonly path: string;
  readonly value: AvroConfigurationValue;
  readonly time: number | null;
}

export const COMMAND_AVRO_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.command.CommandRequested': (data) => ({
    ...data,
    value: scalarOrNull(data['value']),
    instanceValues: data['instanceValues']
      ? Object.fromEntries(
          Object.entries(data['instanceValues'] as Record<string, ConfigurationScalar>).map(([id, v]) => [
            id,
            toAvroConfigurationValue(v),
          ]),
        )
      : null,
    expiresAt: toAvroTimestamp(data['expiresAt'] as string),
  }),
  'fleet.command.CommandSucceeded': (data) => ({
    ...data,
    values: ((data['values'] ?? []) as readonly PlainReturnedValue[]).map((v): AvroReturnedValue => ({
      path: v.path,
      value: toAvroConfigurationValue(v.value),
      time: v.time === null || v.time === undefined ? null : toAvroTimestamp(v.time),
    })),
    writtenValue: scalarOrNull(data['writtenValue']),
  }),
  'fleet.command.CommandRetryScheduled': (data) => ({
    ...data,
    notBefore: toAvroTimestamp(data['notBefore'] as string),
  }),
};

export const COMMAND_PLAIN_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.command.CommandRequested': (data) => ({
    ...data,
    value: plainOrNull(data['value'] as AvroConfigurationValue | null),
    attributes: data['attributes'] ? withoutNulls(data['attributes'] as Record<string, unknown>) : null,
    instanceValues: data['instanceValues']
      ? fromAvroConfigurationMap(data['instanceValues'] as Record<string, AvroConfigurationValue>)
      : null,
    expiresAt: fromAvroTimestamp(data['expiresAt'] as number),
  }),
  'fleet.command.CommandSucceeded': (data) => ({
    ...data,
    values: (data['values'] as readonly AvroReturnedValue[]).flatMap((v): PlainReturnedValue[] => {
      const value = fromAvroConfigurationValue(v.value);
      return value === undefined
        ? []
        : [{ path: v.path, value, time: v.time === null ? null : fromAvroTimestamp(v.time) }];
    }),
    writtenValue: plainOrNull(data['writtenValue'] as AvroConfigurationValue | null),
  }),
  'fleet.command.CommandRetryScheduled': (data) => ({
    ...data,
    notBefore: fromAvroTimestamp(data['notBefore'] as number),
  }),
};

/** Notification attributes are optional properties in plain data, nullable fields in Avro. */
function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null));
}
