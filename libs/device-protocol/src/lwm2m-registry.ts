import { quote, rejected } from './errors';
import { LWM2M_RESOURCES, type ResourceDefinition, type ResourceValue } from './lwm2m-resources';

/** LwM2M ids are 16-bit, 65535 reserved; no leading zeros, so one resource has one path. */
const ID = '(?:0|[1-9][0-9]{0,4})';
const RESOURCE_PATH = new RegExp(`^/${ID}/${ID}/${ID}(?:/${ID})?$`);

export function isResourcePath(path: string): boolean {
  return RESOURCE_PATH.test(path) && path.split('/').every((id) => id === '' || Number(id) < 65535);
}

/** Entries by `object/resource`: every uplink looks up each of its paths (the hot path). */
const BY_OBJECT_AND_RESOURCE = new Map<string, ResourceDefinition[]>();
for (const definition of LWM2M_RESOURCES) {
  const [, object, , resource] = definition.pattern.split('/');
  const key = `${object}/${resource}`;
  BY_OBJECT_AND_RESOURCE.set(key, [...(BY_OBJECT_AND_RESOURCE.get(key) ?? []), definition]);
}

export function findResource(path: string): ResourceDefinition | undefined {
  const ids = path.split('/');
  // Resource instances (`/3/0/6/1`) are not in the registry: no entry matches four ids.
  if (ids.length !== 4) return undefined;
  const [, object, instance, resource] = ids;
  return BY_OBJECT_AND_RESOURCE.get(`${object}/${resource}`)?.find((definition) => {
    const pattern = definition.pattern.split('/')[2];
    return pattern === '*' || pattern === instance;
  });
}

/** R, RW: a device can report it, and a server read or observe it. */
export function isReadable(definition: ResourceDefinition): boolean {
  return definition.operations.includes('R');
}

export function isWritable(definition: ResourceDefinition): boolean {
  return definition.operations.includes('W');
}

export function isExecutable(definition: ResourceDefinition): boolean {
  return definition.operations === 'E';
}

/** Object ids with at least one resource in the registry. */
const KNOWN_OBJECTS = new Set(LWM2M_RESOURCES.map((d) => Number(d.pattern.split('/')[1])));

export function isKnownObject(objectId: number): boolean {
  return KNOWN_OBJECTS.has(objectId);
}

/** Whether `/object/instance` names an instance the registry covers (any, for multi-instance objects). */
export function isKnownInstance(objectId: number, instanceId: number): boolean {
  return LWM2M_RESOURCES.some((d) => {
    const [, object, instance] = d.pattern.split('/');
    return Number(object) === objectId && (instance === '*' || Number(instance) === instanceId);
  });
}

/**
 * Multi-instance objects (IPSO sensors) have `*` instances in the registry; the others have the
 * single instance 0, which a server can neither create nor delete.
 */
export function isMultiInstanceObject(objectId: number): boolean {
  return LWM2M_RESOURCES.some((d) => {
    const [, object, instance] = d.pattern.split('/');
    return Number(object) === objectId && instance === '*';
  });
}

export function findConfigurationResource(key: string): ResourceDefinition | undefined {
  return LWM2M_RESOURCES.find((d) => d.becomes.kind === 'configuration' && d.becomes.key === key);
}

/**
 * The registry entry of `path` once `value` (and `unit`, if any) are known to fit it.
 * @throws UplinkRejectedError naming the path and what is wrong
 */
export function checkResourceValue(
  path: string,
  value: ResourceValue,
  unit: string | null,
): ResourceDefinition {
  if (!isResourcePath(path))
    throw rejected('malformed', `${quote(path)} is not an LwM2M resource path /object/instance/resource`);
  const definition = findResource(path);
  if (!definition) throw rejected('unknown-path', `${path}: unknown path (not a resource Fleetwise knows)`);
  // Reboot, factory reset, update...: a device has nothing to report there.
  if (!isReadable(definition))
    throw rejected(
      'unknown-path',
      `${path}: ${definition.name} is executable, not readable: it has no value`,
    );
  checkValue(path, definition, value);
  if (unit !== null && definition.unit !== undefined && unit !== definition.unit) {
    throw rejected('wrong-unit', `${path}: unit ${quote(unit)} where ${quote(definition.unit)} was expected`);
  }
  return definition;
}

/** @throws UplinkRejectedError when `value` does not fit the type, range or allowed values */
export function checkValue(label: string, definition: ResourceDefinition, value: ResourceValue): void {
  const { type, min, max } = definition;
  if (type === 'none')
    throw rejected('wrong-type', `${label}: ${definition.name} is executable and takes no value`);
  const actual = typeof value;
  const expected = type === 'integer' ? 'number' : type;
  if (actual !== expected)
    throw rejected('wrong-type', `${label}: expected ${article(type)}, got ${article(actual)}`);
  if (typeof value === 'number') {
    if (type === 'integer' && !Number.isSafeInteger(value))
      throw rejected('wrong-type', `${label}: expected an integer, got ${value}`);
    if (min !== undefined && value < min)
      throw rejected('out-of-range', `${label}: ${value} is below the minimum ${min}`);
    if (max !== undefined && value > max)
      throw rejected('out-of-range', `${label}: ${value} is above the maximum ${max}`);
  }
  if (typeof value === 'string') checkString(label, definition, value);
}

function checkString(label: string, { min, max, oneOf, format }: ResourceDefinition, value: string): void {
  if (min !== undefined && value.length < min)
    throw rejected(
      'out-of-range',
      `${label}: ${quote(value)} is shorter than ${min} character${min === 1 ? '' : 's'}`,
    );
  if (max !== undefined && value.length > max)
    throw rejected('out-of-range', `${label}: ${value.length} characters exceed the maximum ${max}`);
  if (oneOf && !oneOf.includes(value))
    throw rejected('out-of-range', `${label}: ${quote(value)} is not one of ${oneOf.join(', ')}`);
  if (format && !format.pattern.test(value))
    throw rejected('out-of-range', `${label}: ${quote(value)} is not ${format.description}`);
}

function article(type: string): string {
  return type === 'integer' ? 'an integer' : `a ${type}`;
}
