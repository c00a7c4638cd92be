import { CONFIGURATION_KEYS, type ConfigValue, type ConfigurationKey } from '../configuration';

/** What device-twin reads of command-dispatcher's `CommandSucceeded` (the rest does not concern it). */
export interface CommandSucceededData {
  readonly commandId: string;
  readonly deviceId: string;
  readonly writtenValue: ConfigValue | null;
  readonly configurationKey: string | null;
}

/** A configuration write the device acknowledged: from now on the value is reported configuration. */
export interface AcknowledgedWrite {
  /** Id of the `CommandSucceeded` event; the causation of the `ConfigurationApplied` it leads to. */
  readonly eventId: string;
  readonly commandId: string;
  readonly deviceId: string;
  readonly key: ConfigurationKey;
  readonly value: ConfigValue;
  readonly correlationId: string;
  readonly tenant: string;
  /** When the dispatcher recorded the success (epoch ms); the report is dated then. */
  readonly acknowledgedAt: number;
}

export type Acknowledgement =
  | { readonly kind: 'write'; readonly write: AcknowledgedWrite }
  /** Not a configuration write (a read, an execute, a write an operator made by hand). */
  | { readonly kind: 'not-configuration' }
  /** A key this twin does not manage (a newer dispatcher's); recording it would pollute `reported`. */
  | { readonly kind: 'unknown-key'; readonly key: string };

export function acknowledgementOf(
  data: CommandSucceededData,
  envelope: { eventId: string; correlationId: string; tenant: string; occurredAt: number },
): Acknowledgement {
  const { configurationKey: key, writtenValue: value } = data;
  if (key === null || value === null) return { kind: 'not-configuration' };
  if (!(CONFIGURATION_KEYS as readonly string[]).includes(key)) return { kind: 'unknown-key', key };
  return {
    kind: 'write',
    write: {
      eventId: envelope.eventId,
      commandId: data.commandId,
      deviceId: data.deviceId,
      key: key as ConfigurationKey,
      value,
      correlationId: envelope.correlationId,
      tenant: envelope.tenant,
      acknowledgedAt: envelope.occurredAt,
    },
  };
}

/** A `ConfigurationApplied` of the device, dated at or after the acknowledgement. */
export interface LaterReport {
  readonly causationId: string | null;
  readonly reported: Readonly<Record<string, ConfigValue | null>>;
}

/**
 * Whether the write must not be recorded (again): `duplicate` when this very acknowledgement was
 * already recorded (a redelivered record), `superseded` when the device reported the key again
 * since, so an old acknowledgement arriving late must not overwrite a newer report.
 */
export function settledBy(
  write: AcknowledgedWrite,
  later: readonly LaterReport[],
): 'duplicate' | 'superseded' | undefined {
  if (later.some((report) => report.causationId === write.eventId)) return 'duplicate';
  if (later.some((report) => write.key in report.reported)) return 'superseded';
  return undefined;
}
