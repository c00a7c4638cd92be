import { ValidationError } from '@fleet/core';
import type { CommandOperation } from '../commands';
import type { DeviceOperationRequest, NotificationAttributes, ScalarValue } from '../operations';
import { MAX_FRM_PAYLOAD_BYTES } from './network-server-uplink';
import { checkTag, FrameReader, FrameWriter } from './frame-fields';

/** fPort of command frames (platform → device). Fleetwise reserves 10 and 11 on every model. */
export const LORAWAN_COMMAND_FPORT = 10;

const OPERATION_CODES: Record<CommandOperation, number> = {
  read: 1,
  write: 2,
  create: 3,
  delete: 4,
  execute: 5,
  discover: 6,
  observe: 7,
  'cancel-observe': 8,
};
const OPERATION_OF = new Map(
  Object.entries(OPERATION_CODES).map(([op, code]) => [code, op as CommandOperation]),
);

/** Observe attribute flags, in the order their fields follow. */
const ATTRIBUTE_FLAGS = [
  ['pmin', 0x01],
  ['pmax', 0x02],
  ['gt', 0x04],
  ['lt', 0x08],
  ['st', 0x10],
] as const;
const FRAME = 'LoRaWAN command frame';

export interface LorawanCommand {
  /** 0-65535: chosen by the platform, echoed in the answer frame. */
  readonly tag: number;
  readonly request: DeviceOperationRequest;
}

/**
 * The compact binary command frame a LoRaWAN device receives on {@link LORAWAN_COMMAND_FPORT}
 * (docs/device-protocol.md, "LoRaWAN commands"): operation (1 byte), tag (uint16), path (levels
 * byte + uint16 per id), then the write value, the execute arguments, the observe attributes or
 * the create values. Big-endian. The request should have passed `checkOperation`; this only
 * checks that it can be written down.
 * @throws ValidationError when a field does not fit the frame, or the frame exceeds 242 bytes
 */
export function encodeLorawanCommand(tag: number, request: DeviceOperationRequest): Buffer {
  checkTag(tag);
  const { operation, path } = request;
  const code = OPERATION_CODES[operation];
  if (code === undefined) throw new ValidationError(`unknown operation ${JSON.stringify(operation)}`);
  const frame = new FrameWriter().u8(code).u16(tag).path(path);
  switch (operation) {
    case 'write':
      if (request.value === null) throw new ValidationError(`write ${path} needs a value`);
      frame.value('value', request.value);
      break;
    case 'execute':
      if (/[^\x20-\x7e]/.test(request.arguments ?? ''))
        throw new ValidationError('arguments must be printable ASCII');
      frame.shortBytes('arguments', Buffer.from(request.arguments ?? '', 'latin1'));
      break;
    case 'observe':
      writeAttributes(frame, request.attributes ?? {});
      break;
    case 'create':
      writeInstanceValues(frame, request.instanceValues ?? {});
      break;
    case 'read':
    case 'delete':
    case 'discover':
    case 'cancel-observe':
      break;
    default: {
      const unknown: never = operation;
      throw new ValidationError(`unknown operation ${JSON.stringify(unknown)}`);
    }
  }
  const bytes = frame.bytes();
  if (bytes.length > MAX_FRM_PAYLOAD_BYTES)
    throw new ValidationError(
      `the command frame needs ${bytes.length} bytes; no data rate carries more than ${MAX_FRM_PAYLOAD_BYTES}`,
    );
  return bytes;
}

/**
 * The device side of {@link encodeLorawanCommand}. Empty arguments decode as null (LwM2M treats
 * both as "no arguments").
 * @throws UplinkRejectedError `malformed` (the protocol's one error type)
 */
export function decodeLorawanCommand(bytes: Uint8Array): LorawanCommand {
  const frame = new FrameReader(bytes, FRAME);
  const code = frame.u8('operation');
  const operation = OPERATION_OF.get(code);
  if (!operation) throw frame.malformed(`unknown operation code ${code}`);
  const tag = frame.u16('tag');
  const path = frame.path('path', { min: 1, max: 3 });
  const request: DeviceOperationRequest = {
    operation,
    path,
    value: operation === 'write' ? frame.value('value') : null,
    arguments: operation === 'execute' ? readArguments(frame) : null,
    attributes: operation === 'observe' ? readAttributes(frame) : null,
    instanceValues: operation === 'create' ? readInstanceValues(frame) : null,
  };
  frame.end();
  return { tag, request };
}

function writeAttributes(frame: FrameWriter, attributes: NotificationAttributes): void {
  const present = ATTRIBUTE_FLAGS.filter(([name]) => attributes[name] !== undefined);
  frame.u8(present.reduce((flags, [, flag]) => flags | flag, 0));
  for (const [name] of present) {
    const value = attributes[name]!;
    if (name === 'pmin' || name === 'pmax') {
      if (!(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff))
        throw new ValidationError(
          `attributes.${name}: ${value} is not a whole number of seconds 0-4294967295`,
        );
      frame.u32(value);
    } else frame.value(`attributes.${name}`, value);
  }
}

function readAttributes(frame: FrameReader): NotificationAttributes | null {
  const flags = frame.u8('attribute flags');
  if (flags & ~0x1f) throw frame.malformed(`attribute flags ${flags} set unknown bits`);
  if (flags === 0) return null;
  const attributes: Record<string, number> = {};
  for (const [name, flag] of ATTRIBUTE_FLAGS) {
    if (!(flags & flag)) continue;
    attributes[name] = name === 'pmin' || name === 'pmax' ? frame.u32(name) : frame.number(name);
  }
  return attributes;
}

function readArguments(frame: FrameReader): string | null {
  const args = frame.shortBytes('arguments').toString('latin1');
  if (/[^\x20-\x7e]/.test(args)) throw frame.malformed('arguments are not printable ASCII');
  return args === '' ? null : args;
}

function writeInstanceValues(frame: FrameWriter, values: Readonly<Record<string, ScalarValue>>): void {
  const entries = Object.entries(values);
  if (entries.length > 255)
    throw new ValidationError(`${entries.length} instance values exceed the 255 a frame carries`);
  frame.u8(entries.length);
  for (const [resourceId, value] of entries) {
    const id = Number(resourceId);
    if (!(/^(?:0|[1-9][0-9]{0,4})$/.test(resourceId) && id <= 65534))
      throw new ValidationError(`instanceValues.${resourceId}: not a resource id`);
    frame.u16(id).value(`instanceValues.${resourceId}`, value);
  }
}

function readInstanceValues(frame: FrameReader): Record<string, ScalarValue> | null {
  const count = frame.u8('instance value count');
  if (count === 0) return null;
  const values: Record<string, ScalarValue> = {};
  for (let i = 0; i < count; i++) {
    const id = frame.u16('resource id');
    if (id > 65534) throw frame.malformed(`resource id ${id} is reserved`);
    values[String(id)] = frame.value(`instance value ${id}`);
  }
  return values;
}
