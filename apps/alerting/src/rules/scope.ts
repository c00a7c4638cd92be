import { z } from 'zod';
import type { DeviceFacts } from '../devices/device-facts';
import type { Scope } from './rule';

/**
 * The device query of a rule's scope: the part of device-twin's search language that can be
 * answered from device events alone (identity, firmware, band plan, status, class, tags,
 * attributes), so that alerting needs no call to device-twin on its hot path. Telemetry filters
 * (battery, last seen) are what rules themselves are for.
 */
export interface DeviceQuery {
  /** Any of these devices. */
  readonly deviceId?: readonly string[];
  readonly manufacturer?: string;
  readonly model?: string;
  readonly firmware?: string;
  readonly region?: string;
  /** Any of these lifecycle statuses. */
  readonly status?: readonly string[];
  readonly deviceClass?: 'always-on' | 'sleepy' | 'lorawan';
  /** Every one of these tags. */
  readonly tag?: readonly string[];
  /** Every one of these attribute values. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const STATUSES = ['provisioned', 'active', 'suspended', 'quarantined', 'decommissioned'] as const;
const QUERY_FIELDS = [
  'deviceId',
  'manufacturer',
  'model',
  'firmware',
  'region',
  'status',
  'deviceClass',
  'tag',
  'attributes',
] as const;

const text = z.string().trim().min(1, 'must not be empty').max(256, 'at most 256 characters');
const oneOrMore = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item).min(1).max(1000));

/** `tag=a&tag=b&attribute.site=x` → `{tag: ['a','b'], attributes: {site: 'x'}}`. */
function fromQueryString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const query: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  for (const [key, raw] of new URLSearchParams(value.trim().replace(/^\?/, ''))) {
    if (key.startsWith('attribute.')) attributes[key.slice('attribute.'.length)] = raw;
    else if (key === 'tag' || key === 'status' || key === 'deviceId') {
      query[key] = [...((query[key] as string[] | undefined) ?? []), raw];
    } else if (key in query) query[key] = [query[key], raw];
    else query[key] = raw;
  }
  if (Object.keys(attributes).length > 0) query['attributes'] = attributes;
  return query;
}

export const deviceQuerySchema = z.preprocess(
  fromQueryString,
  z
    .strictObject(
      {
        deviceId: oneOrMore(text).optional(),
        manufacturer: text.optional(),
        model: text.optional(),
        firmware: text.optional(),
        region: text.optional(),
        status: oneOrMore(z.enum(STATUSES)).optional(),
        deviceClass: z.enum(['always-on', 'sleepy', 'lorawan']).optional(),
        tag: oneOrMore(text).optional(),
        attributes: z.record(z.string().min(1).max(64), z.string().max(512)).optional(),
      },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys'
            ? `unknown query field ${issue.keys.join(', ')}; allowed: ${QUERY_FIELDS.join(', ')}`
            : undefined,
      },
    )
    .refine((q) => Object.values(q).some((v) => v !== undefined), {
      message: `a query needs at least one of ${QUERY_FIELDS.join(', ')}`,
    }),
);

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fleet') }).strict(),
  z
    .object({
      type: z.literal('group'),
      tag: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .describe('the tag of a device-twin static group (its members are the devices carrying it)'),
    })
    .strict(),
  z.object({ type: z.literal('query'), query: deviceQuerySchema }).strict(),
]);

/**
 * Whether a device is in scope. A device alerting knows nothing about yet (its events have not
 * arrived) is only in the fleet scope.
 */
export function inScope(scope: Scope, facts: DeviceFacts | null): boolean {
  switch (scope.type) {
    case 'fleet':
      return true;
    case 'group':
      return facts !== null && facts.tags.includes(scope.tag);
    case 'query':
      return facts !== null && matchesQuery(scope.query, facts);
  }
}

export function matchesQuery(q: DeviceQuery, d: DeviceFacts): boolean {
  if (q.deviceId && !q.deviceId.includes(d.deviceId)) return false;
  if (q.manufacturer !== undefined && q.manufacturer !== d.manufacturer) return false;
  if (q.model !== undefined && q.model !== d.model) return false;
  if (q.firmware !== undefined && q.firmware !== d.firmwareVersion) return false;
  if (q.region !== undefined && q.region !== d.region) return false;
  if (q.status && !q.status.includes(d.status)) return false;
  if (q.deviceClass !== undefined && q.deviceClass !== d.deviceClass.kind) return false;
  if (q.tag && !q.tag.every((tag) => d.tags.includes(tag))) return false;
  if (q.attributes && !Object.entries(q.attributes).every(([k, v]) => d.attributes[k] === v)) return false;
  return true;
}
