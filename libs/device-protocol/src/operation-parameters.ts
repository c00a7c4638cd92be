// The parts of an operation request besides its path: value, arguments, attributes, instance values.
import { ValidationError } from '@fleet/core';
import { UplinkRejectedError } from './errors';
import { checkValue, findResource, isExecutable } from './lwm2m-registry';
import type { ResourceDefinition } from './lwm2m-resources';
import type { NotificationAttributes } from './operations';

export const ATTRIBUTES = ['pmin', 'pmax', 'gt', 'lt', 'st'] as const;
const ID = /^(?:0|[1-9][0-9]{0,4})$/;
const MAX_ARGUMENTS = 255;

export function checkWrittenValue(path: string, definition: ResourceDefinition, value: unknown): void {
  if (value === null) invalid('value', `write ${path} needs a value`);
  checkScalar('value', path, definition, value);
}

function checkScalar(field: string, label: string, definition: ResourceDefinition, value: unknown): void {
  const scalar =
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value));
  if (!scalar) invalid(field, `${label}: the value must be a string, a finite number or a boolean`);
  try {
    checkValue(label, definition, value);
  } catch (error) {
    if (error instanceof UplinkRejectedError) invalid(field, error.reason);
    throw error;
  }
}

/** LwM2M Execute arguments are printable ASCII (LwM2M 1.1 §5.4.5); 255 characters fit every transport. */
export function checkArguments(args: unknown): void {
  if (typeof args !== 'string') invalid('arguments', 'arguments must be a string');
  if (args.length > MAX_ARGUMENTS)
    invalid('arguments', `arguments: ${args.length} characters exceed the maximum ${MAX_ARGUMENTS}`);
  const bad = [...args].findIndex((c) => c < ' ' || c > '~');
  if (bad >= 0) {
    const code = args.codePointAt(bad)!.toString(16).toUpperCase().padStart(4, '0');
    invalid('arguments', `arguments: only printable ASCII is allowed, found U+${code} at position ${bad}`);
  }
}

/**
 * LwM2M notification attributes (LwM2M 1.1 §5.1.2): periods are non-negative integers (s) with
 * pmin ≤ pmax; gt, lt and st are numbers that only a numeric resource can be compared with, st
 * positive, and lt + 2·st < gt so a value cannot be above and below at once.
 */
export function checkAttributes(
  path: string,
  definition: ResourceDefinition | null,
  attributes: unknown,
): void {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    invalid('attributes', 'attributes must be an object of pmin, pmax, gt, lt and st');
  const given = attributes as Record<string, unknown>;
  for (const [name, value] of Object.entries(given)) {
    const at = `attributes.${name}`;
    if (!(ATTRIBUTES as readonly string[]).includes(name))
      invalid(at, `${at}: unknown attribute (expected ${ATTRIBUTES.join(', ')})`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value))
      invalid(at, `${at}: must be a number, got ${describe(value)}`);
    if ((name === 'pmin' || name === 'pmax') && !(Number.isSafeInteger(value) && value >= 0))
      invalid(at, `${at}: must be a whole number of seconds ≥ 0, got ${value}`);
    if (name === 'st' && value <= 0) invalid(at, `${at}: the step must be greater than 0, got ${value}`);
    if (name === 'gt' || name === 'lt' || name === 'st') {
      if (definition === null) invalid(at, `${at}: ${name} applies to a numeric resource, not to ${path}`);
      if (definition.type !== 'number' && definition.type !== 'integer')
        invalid(
          at,
          `${at}: ${name} applies to numeric resources only; ${path} is ${definition.type === 'none' ? 'executable' : `a ${definition.type}`}`,
        );
    }
  }
  const { pmin, pmax, gt, lt, st } = given as NotificationAttributes;
  if (pmin !== undefined && pmax !== undefined && pmin > pmax)
    invalid('attributes.pmin', `attributes: pmin ${pmin} is greater than pmax ${pmax}`);
  if (gt !== undefined && lt !== undefined && !(lt < gt))
    invalid('attributes.lt', `attributes: lt ${lt} must be less than gt ${gt}`);
  if (gt !== undefined && lt !== undefined && st !== undefined && !(lt + 2 * st < gt))
    invalid('attributes.st', `attributes: lt + 2 × st (${lt + 2 * st}) must be less than gt ${gt}`);
}

/** Create on a multi-instance object: every value names a readable or writable resource of it. */
export function checkInstanceValues(object: number, instanceValues: unknown): void {
  if (typeof instanceValues !== 'object' || instanceValues === null || Array.isArray(instanceValues))
    invalid('instanceValues', 'instanceValues must be an object of values by resource id');
  for (const [resourceId, value] of Object.entries(instanceValues as Record<string, unknown>)) {
    const at = `instanceValues.${resourceId}`;
    if (!ID.test(resourceId) || Number(resourceId) >= 65535)
      invalid(at, `${at}: ${JSON.stringify(resourceId)} is not a resource id (0-65534)`);
    // Multi-instance objects have `*` instances, so instance 0 stands for the new one.
    const path = `/${object}/0/${resourceId}`;
    const definition = findResource(path);
    if (!definition)
      invalid(at, `${at}: resource ${resourceId} of object ${object} is not in Fleetwise's LwM2M registry`);
    if (isExecutable(definition)) invalid(at, `${at}: ${definition.name} is executable and takes no value`);
    checkScalar(at, at, definition, value);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}

export function invalid(path: string, message: string): never {
  throw new ValidationError(message, { issues: [{ path, message }] });
}
