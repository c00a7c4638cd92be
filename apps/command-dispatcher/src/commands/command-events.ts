/**
 * Facts about a device-management command (stream `command-<id>`), relayed to
 * `fleet.command-events.v1` keyed by device id (Avro: `schemas/fleet.command/`). Type strings never
 * change once published; who asked and why travel in the event metadata.
 */

/** The LwM2M device-management operations (CRUDEN: create, read, update = write, delete, execute, notify = observe). */
export type Operation =
  'read' | 'write' | 'create' | 'delete' | 'execute' | 'discover' | 'observe' | 'cancel-observe';

export type ScalarValue = string | number | boolean;

/** LwM2M notification attributes of an Observe (all optional). */
export interface NotificationAttributes {
  readonly pmin?: number;
  readonly pmax?: number;
  readonly gt?: number;
  readonly lt?: number;
  readonly st?: number;
}

/** What an operator (or a job, the configuration loop, a campaign) asks a device to do. */
export interface OperationRequest {
  readonly operation: Operation;
  /** LwM2M path: `/object`, `/object/instance` or `/object/instance/resource`. */
  readonly path: string;
  /** Write: the new value of the resource. */
  readonly value: ScalarValue | null;
  /** Execute: the argument string (LwM2M execute arguments), if any. */
  readonly arguments: string | null;
  /** Observe: notification attributes. */
  readonly attributes: NotificationAttributes | null;
  /** Create: initial resource values of the new instance, by resource id. */
  readonly instanceValues: Readonly<Record<string, ScalarValue>> | null;
}

/** Who the command is for: operators directly, a bulk job, the configuration loop or a FUOTA campaign. */
export type CommandOrigin = 'operator' | 'job' | 'configuration' | 'campaign';

/** How a queued command reaches its device. */
export type DeliveryMode =
  /** Always-on devices (and LoRaWAN class C): sent at once over MQTT or the network server. */
  | 'immediate'
  /** Sleepy devices (LwM2M queue mode): sent when the device next talks, in its listen window. */
  | 'on-wake'
  /** LoRaWAN class A: handed to the network server when the device next sends an uplink. */
  | 'network-server';

export type Channel = 'mqtt' | 'chirpstack' | 'tts';

/** The safety gate that refused a command. */
export type Gate = 'device-status' | 'firmware-update' | 'battery' | 'airtime' | 'payload-size';

/** A value a device returned (read result or observe notification), addressed by its LwM2M path. */
export interface ReturnedValue {
  readonly path: string;
  readonly value: ScalarValue;
  /** When it was measured (ISO-8601), if the device said. */
  readonly time: string | null;
}

export interface CommandRequestedData extends OperationRequest {
  readonly commandId: string;
  readonly deviceId: string;
  readonly origin: CommandOrigin;
  /** The bulk job the command belongs to, if any. */
  readonly jobId: string | null;
  /** The configuration key a configuration-loop Write sets (e.g. `application.reportingIntervalSeconds`). */
  readonly configurationKey: string | null;
  /** Time-to-live: the command expires at this instant (ISO-8601) unless finished. */
  readonly expiresAt: string;
  /** Sends before giving up on retriable failures (no answer, device busy). */
  readonly maxAttempts: number;
}

type Of<T = object> = { readonly commandId: string; readonly deviceId: string } & T;
type Event<TType extends string, TData> = { readonly type: TType; readonly data: TData };

export type CommandEvent =
  | Event<'CommandRequested', CommandRequestedData>
  | Event<'CommandQueued', Of<{ delivery: DeliveryMode }>>
  | Event<
      'CommandSent',
      Of<{ attempt: number; channel: Channel; payloadBytes: number; airtimeMs: number | null }>
    >
  | Event<'CommandDelivered', Of>
  | Event<
      'CommandSucceeded',
      Of<{
        operation: Operation;
        path: string;
        /** CoAP-style response code (2.01 created, 2.02 deleted, 2.04 changed, 2.05 content). */
        code: string;
        values: readonly ReturnedValue[];
        /** Write: the value the device accepted; with `configurationKey` it is applied configuration. */
        writtenValue: ScalarValue | null;
        configurationKey: string | null;
      }>
    >
  | Event<'CommandFailed', Of<{ code: string | null; reason: string; attempt: number }>>
  | Event<'CommandRetryScheduled', Of<{ attempt: number; notBefore: string; reason: string }>>
  | Event<'CommandExpired', Of<{ lastStatus: string }>>
  | Event<'CommandCancelled', Of<{ lastStatus: string }>>
  | Event<'CommandRefused', Of<{ gate: Gate; reason: string }>>;

export type CommandEventType = CommandEvent['type'];

export const commandStream = (commandId: string): string => `command-${commandId}`;
