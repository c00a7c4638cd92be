/**
 * Configuration values on Kafka (`fleet.common.ConfigurationValue`). Inside the platform a value is
 * a plain `string | number | boolean`; Avro needs to know whether a number is a long or a double,
 * and avsc cannot pick between union branches of the same JavaScript type, so the contract carries
 * a record with one nullable field per type. These functions are the one place that maps between
 * the two, so every producer encodes numbers the same way: integers as longValue, others as
 * doubleValue.
 */
export type ConfigurationScalar = string | number | boolean;

/** Shape of `fleet.common.ConfigurationValue`: exactly one field is non-null. */
export interface AvroConfigurationValue {
  readonly booleanValue: boolean | null;
  readonly longValue: number | null;
  readonly doubleValue: number | null;
  readonly stringValue: string | null;
}

/** Map of configuration values as schemas carry it; a null value removes (or un-reports) the key. */
export type AvroConfigurationMap = Record<string, AvroConfigurationValue | null>;

export function toAvroConfigurationValue(value: ConfigurationScalar): AvroConfigurationValue {
  const empty = { booleanValue: null, longValue: null, doubleValue: null, stringValue: null };
  if (typeof value === 'boolean') return { ...empty, booleanValue: value };
  if (typeof value === 'string') return { ...empty, stringValue: value };
  if (typeof value === 'number') {
    // avsc encodes longs as JavaScript numbers and refuses integers beyond 2^53.
    return Number.isSafeInteger(value) ? { ...empty, longValue: value } : { ...empty, doubleValue: value };
  }
  throw new TypeError(`not a configuration value: ${String(value)}`);
}

/**
 * The plain value, or undefined when no field this reader knows is set (a value of a type added to
 * the record after this reader was built); callers skip such keys.
 */
export function fromAvroConfigurationValue(value: AvroConfigurationValue): ConfigurationScalar | undefined {
  return value.booleanValue ?? value.longValue ?? value.doubleValue ?? value.stringValue ?? undefined;
}

export function toAvroConfigurationMap(
  values: Readonly<Record<string, ConfigurationScalar | null>>,
): AvroConfigurationMap {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      value === null ? null : toAvroConfigurationValue(value),
    ]),
  );
}

export function fromAvroConfigurationMap(
  values: Readonly<AvroConfigurationMap>,
): Record<string, ConfigurationScalar | null> {
  const plain: Record<string, ConfigurationScalar | null> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null) {
      plain[key] = null;
      continue;
    }
    const scalar = fromAvroConfigurationValue(value);
    if (scalar !== undefined) plain[key] = scalar;
  }
  return plain;
}
