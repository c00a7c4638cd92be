import {
  checkValue,
  findResource,
  type CommandStatus,
  type DeviceCommand,
  type PayloadFormat,
  type ResourceValue,
} from '@fleet/device-protocol';
import { Encoder } from 'cbor-x';
import type { FirmwareUpdateEvent } from './firmware-update';
import { senmlValues, type PackRecord } from './senml-pack';

/** An `up/ack` message (docs/device-protocol.md, "Command response"). */
export interface AckMessage {
  readonly id: string;
  readonly status: CommandStatus;
  readonly code: string;
  readonly reason?: string;
  readonly values?: readonly PackRecord[];
  /** Set on observe notifications: the token (the observe command's id). */
  readonly observation?: string;
}

/** What answering a command changes on the device, for the device model or its connection. */
export type CommandEffect =
  | { readonly kind: 'none' }
  | { readonly kind: 'reboot' }
  | { readonly kind: 'configure'; readonly key: string; readonly value: ResourceValue }
  | { readonly kind: 'observe'; readonly token: string; readonly path: string; readonly pminMs: number }
  | { readonly kind: 'cancel-observe'; readonly path: string }
  /** Object 5 changed (or was asked to and refused): the device reports it and acts on it. */
  | { readonly kind: 'firmware'; readonly events: readonly FirmwareUpdateEvent[] };

export interface CommandAnswer {
  readonly ack: AckMessage;
  readonly effect: CommandEffect;
}

/** LwM2M Device object, Reboot resource. */
export const REBOOT_PATH = '/3/0/4';
/** LwM2M Firmware Update object: Package URI (write starts a download) and Update (execute installs). */
export const PACKAGE_URI_PATH = '/5/0/1';
export const UPDATE_PATH = '/5/0/2';

const none: CommandEffect = { kind: 'none' };

/** The records under `path`: the resource itself, or every resource of an object or instance. */
export function valuesAt(resources: readonly PackRecord[], path: string): PackRecord[] {
  return resources.filter((r) => r.path === path || r.path.startsWith(`${path}/`));
}

/**
 * How the simulated device answers a `down/command`, given its resources with current values:
 * read and observe return them (2.05), write changes configuration resources (2.04), execute of
 * Reboot succeeds (2.04) and reboots; an unknown path fails with 4.04, a known one that does not
 * allow the operation with 4.05, a value that does not fit with 4.00.
 */
export function answerCommand(command: DeviceCommand, resources: readonly PackRecord[]): CommandAnswer {
  const { id, path } = command;
  const found = valuesAt(resources, path);
  const notFound = () => answer(failed(id, '4.04', `${path} not found`));
  switch (command.op) {
    case 'read':
      return found.length > 0 ? answer(succeeded(id, '2.05', found)) : notFound();
    case 'discover':
      // Discover answers in CoRE link format, which a SenML `values` cannot carry: success only.
      return found.length > 0 ? answer(succeeded(id, '2.05')) : notFound();
    case 'write':
      return write(id, path, command.value);
    case 'execute':
      if (path === REBOOT_PATH) return { ack: succeeded(id, '2.04'), effect: { kind: 'reboot' } };
      return found.length > 0 ? answer(failed(id, '4.05', `${path} is not executable`)) : notFound();
    case 'observe': {
      if (found.length === 0) return notFound();
      const pminMs = (command.attributes?.pmin ?? 0) * 1000;
      return { ack: succeeded(id, '2.05', found), effect: { kind: 'observe', token: id, path, pminMs } };
    }
    case 'cancel-observe':
      return { ack: succeeded(id, '2.05'), effect: { kind: 'cancel-observe', path } };
    case 'create':
    case 'delete':
      return answer(failed(id, '4.05', `${command.op} is not supported by this device`));
    default: {
      const unknown: never = command;
      throw new Error(`unknown operation ${JSON.stringify(unknown)}`);
    }
  }
}

function write(id: string, path: string, value: ResourceValue): CommandAnswer {
  const definition = findResource(path);
  if (!definition) return answer(failed(id, '4.04', `${path} not found`));
  if (definition.becomes.kind !== 'configuration') return answer(failed(id, '4.05', `${path} is read-only`));
  try {
    checkValue(path, definition, value);
  } catch (error) {
    return answer(failed(id, '4.00', error instanceof Error ? error.message : String(error)));
  }
  return { ack: succeeded(id, '2.04'), effect: { kind: 'configure', key: definition.becomes.key, value } };
}

const answer = (ack: AckMessage): CommandAnswer => ({ ack, effect: none });

export function succeeded(id: string, code: string, values?: readonly PackRecord[]): AckMessage {
  return { id, status: 'succeeded', code, ...(values === undefined ? {} : { values }) };
}

export function failed(id: string, code: string, reason: string): AckMessage {
  return { id, status: 'failed', code, reason };
}

const cbor = new Encoder({ useRecords: false });

/** `up/ack` bytes: JSON, or CBOR with the same text keys. */
export function encodeAck(ack: AckMessage, format: PayloadFormat): Buffer {
  const { values, ...rest } = ack;
  const message = values === undefined ? rest : { ...rest, values: senmlValues(values) };
  return format === 'json' ? Buffer.from(JSON.stringify(message)) : cbor.encode(message);
}
