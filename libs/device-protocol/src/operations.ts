import { ValidationError } from '@fleet/core';
import { type CommandOperation, type DeviceCommand, deviceCommandSchema } from './commands';
import {
  findResource,
  isExecutable,
  isKnownInstance,
  isKnownObject,
  isMultiInstanceObject,
  isReadable,
  isWritable,
} from './lwm2m-registry';
import type { ResourceDefinition, ResourceValue } from './lwm2m-resources';
import {
  ATTRIBUTES,
  checkArguments,
  checkAttributes,
  checkInstanceValues,
  checkWrittenValue,
  invalid,
} from './operation-parameters';
import { zodReason } from './zod-reason';

export type ScalarValue = ResourceValue;

/** LwM2M notification attributes of an Observe (all optional). */
export interface NotificationAttributes {
  readonly pmin?: number;
  readonly pmax?: number;
  readonly gt?: number;
  readonly lt?: number;
  readonly st?: number;
}

/** A device-management operation on an LwM2M path (the dispatcher's `OperationRequest`). */
export interface DeviceOperationRequest {
  readonly operation: CommandOperation;
  /** `/object`, `/object/instance` or `/object/instance/resource`. */
  readonly path: string;
  /** Write: the new value. */
  readonly value: ScalarValue | null;
  /** Execute: the argument string, if any. */
  readonly arguments: string | null;
  /** Observe: notification attributes. */
  readonly attributes: NotificationAttributes | null;
  /** Create: initial values of the new instance, by resource id. */
  readonly instanceValues: Readonly<Record<string, ScalarValue>> | null;
}

/** What {@link checkOperation} takes: a request as it arrives, before anything is known to hold. */
export interface OperationRequestInput {
  readonly operation: string;
  readonly path: string;
  readonly value?: unknown;
  readonly arguments?: unknown;
  readonly attributes?: unknown;
  readonly instanceValues?: unknown;
}

export const OPERATIONS: readonly CommandOperation[] = [
  'read',
  'write',
  'create',
  'delete',
  'execute',
  'discover',
  'observe',
  'cancel-observe',
];

/** Path levels each operation accepts: 1 object, 2 instance, 3 resource. */
const LEVELS: Record<CommandOperation, { readonly levels: readonly number[]; readonly needs: string }> = {
  read: { levels: [1, 2, 3], needs: 'a path' },
  discover: { levels: [1, 2, 3], needs: 'a path' },
  observe: { levels: [1, 2, 3], needs: 'a path' },
  'cancel-observe': { levels: [1, 2, 3], needs: 'a path' },
  write: { levels: [3], needs: 'a resource path /object/instance/resource' },
  execute: { levels: [3], needs: 'a resource path /object/instance/resource' },
  delete: { levels: [2], needs: 'an object instance path /object/instance' },
  create: { levels: [1, 2], needs: 'an object path /object or an instance path /object/instance' },
};

const ID = /^(?:0|[1-9][0-9]{0,4})$/;

/**
 * Checks an operation against the LwM2M registry before anything is sent: the operation, the
 * path and its level, that the resource allows the operation, and the value, arguments,
 * attributes or instance values that go with it (and only with it). Returns the request with
 * every optional field present (null when absent).
 * @throws ValidationError naming the first problem; `details.issues` holds `{ path, message }`
 */
export function checkOperation(request: OperationRequestInput): DeviceOperationRequest {
  const operation = request.operation as CommandOperation;
  if (!OPERATIONS.includes(operation)) {
    invalid(
      'operation',
      `unknown operation ${JSON.stringify(request.operation)}: expected ${OPERATIONS.join(', ')}`,
    );
  }
  const { path } = request;
  const ids = parsePath(path);
  const { levels, needs } = LEVELS[operation];
  if (!levels.includes(ids.length)) invalid('path', `${operation} needs ${needs}, got ${path}`);
  const resource = checkTarget(operation, path, ids);
  const value = onlyFor(operation, 'write', 'value', request.value);
  const args = onlyFor(operation, 'execute', 'arguments', request.arguments);
  const attributes = onlyFor(operation, 'observe', 'attributes', request.attributes);
  const instanceValues = onlyFor(operation, 'create', 'instanceValues', request.instanceValues);
  if (operation === 'write') checkWrittenValue(path, resource!, value);
  if (args !== null) checkArguments(args);
  if (attributes !== null) checkAttributes(path, resource, attributes);
  if (instanceValues !== null) checkInstanceValues(ids[0]!, instanceValues);
  return {
    operation,
    path,
    value: value as ScalarValue | null,
    arguments: args as string | null,
    attributes: attributes as NotificationAttributes | null,
    instanceValues: instanceValues as Record<string, ScalarValue> | null,
  };
}

/**
 * The `down/command` object (docs/device-protocol.md, "Downlinks") for a checked request.
 * @param expiresAt ISO-8601 instant after which the device ignores the command; null for none
 * @throws ValidationError when the result is not a valid command (e.g. an unchecked request)
 */
export function operationDownlink(
  commandId: string,
  request: DeviceOperationRequest,
  expiresAt: string | null,
): DeviceCommand {
  const { operation: op, path, attributes } = request;
  const command = {
    id: commandId,
    op,
    path,
    ...(expiresAt === null ? {} : { expiresAt }),
    ...(op === 'write' ? { value: request.value } : {}),
    ...(op === 'execute' && request.arguments !== null ? { args: request.arguments } : {}),
    ...(op === 'observe' && attributes !== null ? { attributes: presentAttributes(attributes) } : {}),
    ...(op === 'create' && request.instanceValues !== null ? { values: request.instanceValues } : {}),
  };
  const parsed = deviceCommandSchema.safeParse(command);
  if (!parsed.success) throw new ValidationError(`invalid command: ${zodReason(parsed.error)}`);
  return parsed.data;
}

function parsePath(path: unknown): number[] {
  const parts = typeof path === 'string' ? path.split('/') : [];
  const ids = parts.slice(1);
  const wellFormed =
    parts[0] === '' &&
    ids.length >= 1 &&
    ids.length <= 3 &&
    ids.every((id) => ID.test(id) && Number(id) < 65535);
  if (!wellFormed) {
    invalid(
      'path',
      `${JSON.stringify(path)} is not an LwM2M path /object, /object/instance or /object/instance/resource (ids 0-65534)`,
    );
  }
  return ids.map(Number);
}

/** The registry must know the object, the instance and the resource, and the resource allow the operation. */
function checkTarget(operation: CommandOperation, path: string, ids: number[]): ResourceDefinition | null {
  const [object, instance, resourceId] = ids as [number, number?, number?];
  if (!isKnownObject(object))
    invalid('path', `${path}: object ${object} is not in Fleetwise's LwM2M registry`);
  if ((operation === 'create' || operation === 'delete') && !isMultiInstanceObject(object)) {
    const what = operation === 'create' ? 'no instance can be created' : 'it cannot be deleted';
    invalid('path', `${path}: object ${object} has a single instance: ${what}`);
  }
  if (instance !== undefined && operation !== 'create' && !isKnownInstance(object, instance))
    invalid('path', `${path}: object ${object} has no instance ${instance} in Fleetwise's LwM2M registry`);
  if (resourceId === undefined) return null;
  const definition = findResource(path);
  if (!definition)
    invalid(
      'path',
      `${path}: resource ${resourceId} of object ${object} is not in Fleetwise's LwM2M registry`,
    );
  if (operation === 'write' && !isWritable(definition)) {
    invalid(
      'path',
      isExecutable(definition) ? `${path} is executable, not writable` : `${path} is read-only`,
    );
  }
  if (operation === 'execute' && !isExecutable(definition)) invalid('path', `${path} is not executable`);
  const reads = operation === 'read' || operation === 'observe' || operation === 'cancel-observe';
  if (reads && !isReadable(definition)) {
    invalid('path', `${path} is executable only (${definition.name}): it cannot be read or observed`);
  }
  return definition;
}

/** null when absent; refused when given to another operation than the one it belongs to. */
function onlyFor(
  operation: CommandOperation,
  owner: CommandOperation,
  field: string,
  value: unknown,
): unknown {
  if (value === undefined || value === null) return null;
  if (operation !== owner) invalid(field, `${field} ${plural(field)} only for ${owner}, not ${operation}`);
  return value;
}

function plural(field: string): string {
  return field.endsWith('s') ? 'are' : 'is';
}

function presentAttributes(attributes: NotificationAttributes): NotificationAttributes {
  return Object.fromEntries(
    ATTRIBUTES.flatMap((name) => (attributes[name] === undefined ? [] : [[name, attributes[name]]])),
  );
}
