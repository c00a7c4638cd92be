import { z } from 'zod';
import { REGIONS } from '../configuration';
import type { DeviceStatus } from '../device';
import { decodeCursor, type CursorPosition } from './search-cursor';

/**
 * The query language of fleet search: `GET /devices`, `GET /device-counts`,
 * `GET /groups/:name/devices` and the saved query of a dynamic group. Values arrive either as a
 * query string (strings, repeated keys as arrays) or as JSON (a dynamic group's `query`); both
 * parse to the same normalised filter, which is what a group stores.
 */

export const DEVICE_STATUSES = [
  'provisioned',
  'active',
  'suspended',
  'quarantined',
  'decommissioned',
] as const satisfies readonly DeviceStatus[];
// Fails to compile when DeviceStatus gains a value the list above does not have.
type MissingStatus = Exclude<DeviceStatus, (typeof DEVICE_STATUSES)[number]>;
const _everyStatus: [MissingStatus] extends [never] ? true : MissingStatus = true;
void _everyStatus;

export const SORT_FIELDS = [
  'deviceId',
  'serial',
  'lastSeen',
  'battery',
  'provisionedAt',
  'updatedAt',
  'firmware',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

export const COUNT_BY = ['status', 'firmware', 'model', 'manufacturer', 'region'] as const;
export type CountBy = (typeof COUNT_BY)[number];

/** Filters on facts the twin timeline keeps, so they also work at a point in time (`at`). */
export const HISTORISED_FILTERS = [
  'manufacturer',
  'model',
  'serial',
  'firmware',
  'tag',
  'status',
  'region',
] as const;
/** Filters on telemetry (connectivity), which is kept as latest values only. */
export const CONNECTIVITY_FILTERS = ['lastSeenBefore', 'lastSeenAfter', 'batteryBelow', 'online'] as const;
/** Sort fields that have a value at a point in time. */
export const HISTORICAL_SORTS: readonly SortField[] = ['deviceId', 'serial', 'firmware', 'provisionedAt'];

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

/** Group names: lower-case letters, digits and `-`, 1 to 64 characters. */
export const GROUP_NAME_PATTERN = /^[a-z0-9-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// Field schemas

const onlyOnce = (issue: { input?: unknown }) =>
  Array.isArray(issue.input) ? 'give this parameter at most once' : undefined;

const text = (max: number) =>
  z.string({ error: onlyOnce }).trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/** A repeatable parameter: one value or a list of them (`?tag=a&tag=b`), deduplicated. */
const repeatable = <T extends z.ZodType<string>>(item: T, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(item)
      .min(1, 'give at least one value')
      .max(max, `at most ${max} values`)
      .transform((values) => [...new Set(values)]),
  );

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;
const ISO_DURATION = /^P(?:(\d{1,6})W|(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,9})S)?)?)$/i;

/** Milliseconds of an ISO-8601 duration in weeks, days, hours, minutes and seconds; undefined otherwise. */
export function durationMs(value: string): number | undefined {
  const match = ISO_DURATION.exec(value);
  if (!match || /T$/i.test(value) || value.length < 3) return undefined;
  const [, w, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60_000 + (s ?? 0) * 1000;
}

function validInstant(value: string): boolean {
  const match = ISO_INSTANT.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    Number.isFinite(Date.parse(value.replace(' ', 'T')))
  );
}

/**
 * A point in time: an ISO-8601 instant with a zone (`2026-03-01T12:00:00Z`), a date (UTC
 * midnight), or an ISO-8601 duration meaning that long before now (`P7D`, `PT6H`) so that saved
 * queries such as "silent for a day" stay relative. Instants are normalised to UTC.
 */
const timeBound = z
  .string({ error: onlyOnce })
  .trim()
  .transform((value, ctx) => {
    if (validInstant(value)) return new Date(Date.parse(value.replace(' ', 'T'))).toISOString();
    if (durationMs(value) !== undefined) return value.toUpperCase();
    ctx.addIssue({
      code: 'custom',
      message:
        'must be an ISO-8601 time with a zone (2026-03-01T12:00:00Z), a date (2026-03-01) ' +
        'or a duration before now (P7D, PT6H)',
    });
    return z.NEVER;
  });

/** Resolves a normalised time bound (instant or duration before `now`). */
export function resolveTime(bound: string, now: Date): Date {
  const duration = durationMs(bound);
  return duration === undefined ? new Date(bound) : new Date(now.getTime() - duration);
}

const numberFrom = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

const percent = z.preprocess(
  numberFrom,
  z
    .number({ error: (issue) => onlyOnce(issue) ?? 'must be a number between 0 and 100' })
    .min(0, 'must be between 0 and 100')
    .max(100, 'must be between 0 and 100'),
);

const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: (issue) => onlyOnce(issue) ?? 'must be true or false' }),
);

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) =>
      issue.input === undefined ? 'Required' : (onlyOnce(issue) ?? `must be one of ${values.join(', ')}`),
  });

const limit = z.preprocess(
  numberFrom,
  z
    .number({ error: (issue) => onlyOnce(issue) ?? `must be an integer between 1 and ${MAX_LIMIT}` })
    .int(`must be an integer between 1 and ${MAX_LIMIT}`)
    .min(1, `must be an integer between 1 and ${MAX_LIMIT}`)
    .max(MAX_LIMIT, `must be an integer between 1 and ${MAX_LIMIT}`),
);

const groupName = z
  .string({ error: onlyOnce })
  .regex(GROUP_NAME_PATTERN, 'a group name: lower-case letters, digits and -, 1 to 64 characters');

// ---------------------------------------------------------------------------------------------
// Query schemas

const filterShape = {
  manufacturer: text(128).optional(),
  model: text(128).optional(),
  serial: text(128).optional(),
  firmware: text(64).optional(),
  /** Devices carrying every one of these tags. */
  tag: repeatable(text(64), 20).optional(),
  /** Devices in any of these statuses. */
  status: repeatable(oneOf(DEVICE_STATUSES), DEVICE_STATUSES.length).optional(),
  region: oneOf(REGIONS as [string, ...string[]]).optional(),
  /** Last heard from strictly before this time (devices never heard from do not match). */
  lastSeenBefore: timeBound.optional(),
  /** Last heard from at or after this time. */
  lastSeenAfter: timeBound.optional(),
  /** Battery strictly below this percentage (devices that never reported one do not match). */
  batteryBelow: percent.optional(),
  /** Heard from within max(2 × expected interval, 120 s); `false` includes devices never heard from. */
  online: flag.optional(),
};

const unknownParameters =
  (allowed: readonly string[]) =>
  (issue: { code?: string; keys?: string[] }): string | undefined =>
    issue.code === 'unrecognized_keys'
      ? `unknown parameter${issue.keys?.length === 1 ? '' : 's'} ${issue.keys?.join(', ')}; ` +
        `allowed: ${allowed.join(', ')}`
      : undefined;

const FILTER_KEYS = Object.keys(filterShape);

/**
 * The filter fields of a search, strict; also the saved query of a dynamic group (which cannot
 * name another group, sort or page).
 */
export const deviceFilterSchema = z.strictObject(filterShape, {
  error: unknownParameters(FILTER_KEYS),
});
export type DeviceFilter = z.output<typeof deviceFilterSchema>;

/** Filter fields of `filter` that are set and not historised (so not usable with `at`). */
export function nonHistorisedFilters(filter: DeviceFilter): string[] {
  return CONNECTIVITY_FILTERS.filter((key) => filter[key] !== undefined);
}

export const notHistorisedMessage = (what: string) =>
  `${what} cannot be combined with at: connectivity (last seen, battery, online) is kept as latest ` +
  `values only, not historised; at supports ${HISTORISED_FILTERS.join(', ')} and group`;

const selectionShape = {
  ...filterShape,
  /** A saved group: static (its tag) or dynamic (its saved query), combined with the other filters. */
  group: groupName.optional(),
  /** Match the fleet as it was at this time (identity and lifecycle facts only). */
  at: timeBound.optional(),
};

/** Which devices a request selects: filters, an optional group, an optional point in time. */
export interface DeviceSelection {
  readonly filter: DeviceFilter;
  readonly group: string | null;
  readonly at: string | null;
}

export interface DeviceSearchQuery extends DeviceSelection {
  readonly sort: SortField;
  readonly order: SortOrder;
  readonly limit: number;
  /** Where the previous page ended; null for the first page. */
  readonly after: CursorPosition | null;
}

type Issues = { addIssue(issue: { code: 'custom'; message: string; path: string[] }): void };

function checkAt(value: { at?: string | undefined } & DeviceFilter, ctx: Issues): void {
  if (value.at === undefined) return;
  for (const key of nonHistorisedFilters(value)) {
    ctx.addIssue({ code: 'custom', path: [key], message: notHistorisedMessage(key) });
  }
}

function splitSelection<T extends DeviceFilter & { group?: string | undefined; at?: string | undefined }>(
  value: T,
): DeviceSelection {
  const filter: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) filter[key] = field;
  }
  return { filter, group: value.group ?? null, at: value.at ?? null };
}

const pagingShape = {
  sort: oneOf(SORT_FIELDS).default('deviceId'),
  order: oneOf(['asc', 'desc']).default('asc'),
  limit: limit.default(DEFAULT_LIMIT),
  /** Opaque: the `nextCursor` of the previous page, with the same filters, sort and order. */
  cursor: z.string({ error: onlyOnce }).min(1).max(2048).optional(),
};

function searchSchema<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z
    .strictObject(shape, { error: unknownParameters(allowed) })
    .superRefine((raw, ctx) => {
      const value = raw as unknown as DeviceFilter & {
        at?: string;
        sort: SortField;
        order: SortOrder;
        cursor?: string;
      };
      checkAt(value, ctx);
      if (value.at !== undefined && !HISTORICAL_SORTS.includes(value.sort)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sort'],
          message:
            `${value.sort} has no value at a point in time (connectivity and updates are not ` +
            `historised); with at, sort by ${HISTORICAL_SORTS.join(', ')}`,
        });
      }
      if (value.cursor !== undefined) {
        const decoded = decodeCursor(value.cursor, value.sort, value.order);
        if (typeof decoded === 'string') ctx.addIssue({ code: 'custom', path: ['cursor'], message: decoded });
      }
    })
    .transform((raw): DeviceSearchQuery => {
      const value = raw as unknown as DeviceFilter & {
        group?: string;
        at?: string;
        sort: SortField;
        order: SortOrder;
        limit: number;
        cursor?: string;
      };
      const after = value.cursor === undefined ? null : decodeCursor(value.cursor, value.sort, value.order);
      return {
        ...splitSelection(value),
        sort: value.sort,
        order: value.order,
        limit: value.limit,
        after: typeof after === 'string' ? null : after,
      };
    });
}

/** Query string of `GET /devices`. */
export const searchDevicesQuery = searchSchema({ ...selectionShape, ...pagingShape });

/** Query string of `GET /groups/:name/devices`: a search without `group` (it is in the path). */
export const groupDevicesQuery = searchSchema({ ...filterShape, at: selectionShape.at, ...pagingShape });

export interface DeviceCountsQuery extends DeviceSelection {
  readonly by: CountBy;
}

const countsShape = { ...selectionShape, by: oneOf(COUNT_BY) };

/** Query string of `GET /device-counts`. */
export const deviceCountsQuery = z
  .strictObject(countsShape, { error: unknownParameters(Object.keys(countsShape)) })
  .superRefine((value, ctx) => checkAt(value, ctx))
  .transform((value): DeviceCountsQuery => ({ ...splitSelection(value), by: value.by }));

/** A dynamic group's saved query given as a query string (`firmware=1.2.0&tag=a&tag=b`). */
export function queryStringToObject(query: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(query.replace(/^\?/, ''))) {
    const existing = result[key];
    result[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return result;
}
