import { ValidationError } from '@fleet/core';
import { Encoder } from 'cbor-x';
import { z } from 'zod';
import { rejected, UplinkRejectedError } from './errors';
import { checkValue, findConfigurationResource } from './lwm2m-registry';
import { parsePayload, type PayloadFormat } from './payload';
import { zodReason } from './zod-reason';

/** LwM2M paths by level: object `/3`, instance `/3/0`, resource `/3/0/9`, resource instance `/3/0/6/1`. */
const ID = '(?:0|[1-9][0-9]{0,4})';
const pathOf = (levels: string, what: string) =>
  z.string().regex(new RegExp(`^(?:/${ID}){${levels}}$`), `must be an LwM2M ${what} path`);
const anyPath = pathOf('1,4', 'object, instance or resource');
const resourcePath = pathOf('3,4', 'resource');
const scalar = z.union([z.string().max(1024), z.number(), z.boolean()]);

const common = {
  id: z.string().min(1).max(128),
  /** The device should ignore a command it receives after this instant. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
};

/** `down/command` (docs/device-protocol.md, "Downlinks"); one member per LwM2M operation. */
export const deviceCommandSchema = z.discriminatedUnion('op', [
  z.object({ ...common, op: z.literal('read'), path: anyPath }),
  z.object({ ...common, op: z.literal('write'), path: resourcePath, value: scalar }),
  z.object({
    ...common,
    op: z.literal('create'),
    path: pathOf('1,2', 'object or instance'),
    /** Initial resource values of the new instance, by resource id. */
    values: z.record(z.string().regex(new RegExp(`^${ID}$`), 'must be a resource id'), scalar).optional(),
  }),
  z.object({ ...common, op: z.literal('delete'), path: pathOf('2', 'instance') }),
  z.object({ ...common, op: z.literal('execute'), path: resourcePath, args: z.string().max(255).optional() }),
  z.object({ ...common, op: z.literal('discover'), path: anyPath }),
  z.object({
    ...common,
    op: z.literal('observe'),
    path: anyPath,
    /** LwM2M notification attributes. */
    attributes: z
      .object({
        pmin: z.number().int().min(0).optional(),
        pmax: z.number().int().min(0).optional(),
        gt: z.number().optional(),
        lt: z.number().optional(),
        st: z.number().min(0).optional(),
        epmin: z.number().int().min(0).optional(),
        epmax: z.number().int().min(0).optional(),
      })
      .optional(),
  }),
  z.object({ ...common, op: z.literal('cancel-observe'), path: anyPath }),
]);
export type DeviceCommand = z.infer<typeof deviceCommandSchema>;
export type CommandOperation = DeviceCommand['op'];

/** Flat `section.parameter` keys, as in `reportedConfiguration`; rules out `__proto__` and friends. */
const CONFIGURATION_KEY = /^[a-z][A-Za-z0-9]{0,31}\.[a-z][A-Za-z0-9]{0,63}$/;

/** `down/config`: the twin's desired configuration at `version`; `null` removes a key. */
export const desiredConfigurationSchema = z
  .object({
    version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    desired: z.record(
      z.string().regex(CONFIGURATION_KEY, 'must be a section.parameter key'),
      scalar.nullable(),
    ),
  })
  .superRefine(({ desired }, context) => {
    for (const [key, value] of Object.entries(desired)) {
      const definition = findConfigurationResource(key);
      if (value === null || !definition) continue;
      try {
        checkValue(key, definition, value);
      } catch (error) {
        if (!(error instanceof UplinkRejectedError)) throw error;
        // The reason already starts with the key, so the issue sits on `desired` itself.
        context.addIssue({ code: 'custom', path: ['desired'], message: error.reason });
      }
    }
  });
export type DesiredConfiguration = z.infer<typeof desiredConfigurationSchema>;

const cbor = new Encoder({ useRecords: false });

export function encodeCommand(command: DeviceCommand, format: PayloadFormat = 'json'): Buffer {
  return encode(deviceCommandSchema, command, format, 'command');
}

export function encodeDesiredConfiguration(
  configuration: DesiredConfiguration,
  format: PayloadFormat = 'json',
): Buffer {
  return encode(desiredConfigurationSchema, configuration, format, 'desired configuration');
}

/**
 * The device side of `down/command` (the simulator uses it). Unknown fields are dropped so older
 * devices accept newer platforms.
 * @throws UplinkRejectedError `malformed` with the reason (the protocol's one error type)
 */
export function decodeCommand(payload: Uint8Array, contentType?: string): DeviceCommand {
  return decode(deviceCommandSchema, payload, contentType, 'command');
}

/** The device side of `down/config`. @throws UplinkRejectedError `malformed` */
export function decodeDesiredConfiguration(payload: Uint8Array, contentType?: string): DesiredConfiguration {
  return decode(desiredConfigurationSchema, payload, contentType, 'desired configuration');
}

function encode<T>(schema: z.ZodType<T>, value: T, format: PayloadFormat, what: string): Buffer {
  const parsed = schema.safeParse(value);
  // The platform built this value: a failure is our bug, not the device's.
  if (!parsed.success) throw new ValidationError(`invalid ${what}: ${zodReason(parsed.error)}`);
  return format === 'json' ? Buffer.from(JSON.stringify(parsed.data)) : cbor.encode(parsed.data);
}

function decode<T>(
  schema: z.ZodType<T>,
  payload: Uint8Array,
  contentType: string | undefined,
  what: string,
): T {
  const parsed = schema.safeParse(parsePayload(payload, contentType).data);
  if (!parsed.success) throw rejected('malformed', `invalid ${what}: ${zodReason(parsed.error)}`);
  return parsed.data;
}
