import { CONNECTIVITY_COLUMNS } from '../twin/postgres-twin.store';
import type { TwinTables } from '../twin/twin-tables';
import { resolveTime, type CountBy, type DeviceFilter, type SortField, type SortOrder } from './device-query';
import type { CursorPosition } from './search-cursor';

/**
 * SQL of fleet search, as pure functions of the request: text plus positional parameters, never
 * a value spliced into the text. Two modes:
 *
 * - current: `devices d left join connectivity c`;
 * - point in time (`at`): the `timeline t` periods valid at `at`
 *   (`valid_from <= at and (valid_to is null or valid_to > at)`), joined to the current `d` and `c`.
 *
 * Pages are keyset pages over (sort value, device id). A nullable sort value (last seen,
 * battery, firmware) splits the result into two segments queried separately, rows with a value
 * first, then rows without one ordered by device id, so that each segment is a plain
 * index-ordered range scan in either direction.
 */

export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/** Which devices: every filter must hold (AND); a group contributes one more filter. */
export interface Selection {
  readonly filters: readonly DeviceFilter[];
  readonly tenant?: string | null;
  /** Point in time; null for the current fleet. */
  readonly at?: Date | null;
  /** "Now" for relative times and `online`. */
  readonly now: Date;
}

export interface PageRequest {
  readonly sort: SortField;
  readonly order: SortOrder;
  readonly after: CursorPosition | null;
  /** Rows to fetch (the service asks for one more than the page size to know whether more follow). */
  readonly limit: number;
}

/** Rows with a sort value, or the rows without one (nullable sort fields only). */
export type Segment = 'values' | 'nulls';

interface SortColumn {
  readonly current: string;
  /** Column in point-in-time mode; absent when the field has no value at a point in time. */
  readonly historical?: string;
  readonly type: 'text' | 'timestamptz' | 'real';
  readonly nullable: boolean;
  /** How to find the rows without a value, when better than `<column> is null`. */
  readonly missing?: string;
}

const SORT_COLUMNS: Readonly<Record<SortField, SortColumn>> = {
  deviceId: { current: 'd.device_id', historical: 't.device_id', type: 'text', nullable: false },
  serial: { current: 'd.serial', historical: 't.serial', type: 'text', nullable: false },
  firmware: {
    current: 'd.firmware_version',
    historical: 't.firmware_version',
    type: 'text',
    nullable: true,
  },
  provisionedAt: {
    current: 'd.provisioned_at',
    historical: 'd.provisioned_at',
    type: 'timestamptz',
    nullable: false,
  },
  updatedAt: { current: 'd.updated_at', type: 'timestamptz', nullable: false },
  // `last_seen_at` is never null in a connectivity row: a device without one was never heard
  // from, and `c.device_id is null` lets PostgreSQL run that segment as an anti-join in id order.
  lastSeen: {
    current: 'c.last_seen_at',
    type: 'timestamptz',
    nullable: true,
    missing: 'c.device_id is null',
  },
  battery: { current: 'c.battery_percent', type: 'real', nullable: true },
};

const COUNT_COLUMNS: Readonly<Record<CountBy, { current: string; historical: string }>> = {
  status: { current: 'd.status', historical: 't.status' },
  firmware: { current: 'd.firmware_version', historical: 't.firmware_version' },
  model: { current: 'd.model', historical: 't.model' },
  manufacturer: { current: 'd.manufacturer', historical: 't.manufacturer' },
  region: { current: 'd.region', historical: 't.region' },
};

/** Timeline columns a point-in-time page carries from its inner query (`p`) as `as_of_*`. */
const TIMELINE_COLUMNS = `t.version as as_of_version, t.valid_from as as_of_valid_from,
    t.valid_to as as_of_valid_to, t.serial as as_of_serial, t.manufacturer as as_of_manufacturer,
    t.model as as_of_model, t.firmware_version as as_of_firmware_version, t.status as as_of_status,
    t.region as as_of_region, t.tags as as_of_tags`;
const AS_OF_COLUMNS = `p.as_of_version, p.as_of_valid_from, p.as_of_valid_to, p.as_of_serial,
  p.as_of_manufacturer, p.as_of_model, p.as_of_firmware_version, p.as_of_status, p.as_of_region,
  p.as_of_tags`;

/** Collects parameters; `add` answers the placeholder, with a cast when given. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

const historical = (selection: Selection): selection is Selection & { at: Date } =>
  selection.at !== undefined && selection.at !== null;

const usesConnectivity = (filters: readonly DeviceFilter[]): boolean =>
  filters.some(
    (f) =>
      f.lastSeenBefore !== undefined ||
      f.lastSeenAfter !== undefined ||
      f.batteryBelow !== undefined ||
      f.online !== undefined,
  );

/**
 * The online rule of {@link offlineAfterSeconds} in SQL: heard from within
 * max(2 × expected interval, 120 s) of `now`.
 */
const onlineSince = (now: string) =>
  `${now} - make_interval(secs => greatest(2 * d.expected_interval_s, 120))`;

/** Conditions of one filter; `f` is the alias holding the facts (`d` now, `t` at a point in time). */
function filterConditions(filter: DeviceFilter, f: 'd' | 't', p: Params, now: Date): string[] {
  const where: string[] = [];
  if (filter.manufacturer !== undefined) where.push(`${f}.manufacturer = ${p.add(filter.manufacturer)}`);
  if (filter.model !== undefined) where.push(`${f}.model = ${p.add(filter.model)}`);
  if (filter.serial !== undefined) where.push(`${f}.serial = ${p.add(filter.serial)}`);
  if (filter.firmware !== undefined) where.push(`${f}.firmware_version = ${p.add(filter.firmware)}`);
  if (filter.tag !== undefined) where.push(`${f}.tags @> ${p.add(filter.tag, 'text[]')}`);
  if (filter.status !== undefined) {
    where.push(
      filter.status.length === 1
        ? `${f}.status = ${p.add(filter.status[0])}`
        : `${f}.status = any(${p.add(filter.status, 'text[]')})`,
    );
  }
  if (filter.region !== undefined) where.push(`${f}.region = ${p.add(filter.region)}`);
  if (filter.lastSeenBefore !== undefined) {
    where.push(
      `c.last_seen_at < ${p.add(resolveTime(filter.lastSeenBefore, now).toISOString(), 'timestamptz')}`,
    );
  }
  if (filter.lastSeenAfter !== undefined) {
    where.push(
      `c.last_seen_at >= ${p.add(resolveTime(filter.lastSeenAfter, now).toISOString(), 'timestamptz')}`,
    );
  }
  if (filter.batteryBelow !== undefined)
    where.push(`c.battery_percent < ${p.add(filter.batteryBelow, 'real')}`);
  if (filter.online !== undefined) {
    const since = onlineSince(p.add(now.toISOString(), 'timestamptz'));
    where.push(
      filter.online ? `c.last_seen_at >= ${since}` : `(c.last_seen_at is null or c.last_seen_at < ${since})`,
    );
  }
  return where;
}

/**
 * FROM and WHERE of a selection; `join` asks for tables a caller needs beyond what the filters
 * need (a sort on connectivity, `d` for a point-in-time sort on provisioning time).
 */
function selectionSql(
  tables: TwinTables,
  selection: Selection,
  p: Params,
  join: { devices?: boolean; connectivity?: boolean } = {},
): { from: string; where: string[]; facts: 'd' | 't' } {
  const tenant = selection.tenant !== undefined && selection.tenant !== null;
  if (historical(selection)) {
    const at = p.add(selection.at.toISOString(), 'timestamptz');
    const where = [`t.valid_from <= ${at}`, `(t.valid_to is null or t.valid_to > ${at})`];
    if (tenant) where.push(`d.tenant = ${p.add(selection.tenant)}`);
    for (const filter of selection.filters) where.push(...filterConditions(filter, 't', p, selection.now));
    const from = [
      `${tables.timeline} t`,
      ...(join.devices || tenant ? [`join ${tables.devices} d on d.device_id = t.device_id`] : []),
    ].join('\n  ');
    return { from, where, facts: 't' };
  }
  const where: string[] = [];
  if (tenant) where.push(`d.tenant = ${p.add(selection.tenant)}`);
  for (const filter of selection.filters) where.push(...filterConditions(filter, 'd', p, selection.now));
  const from = [
    `${tables.devices} d`,
    ...(join.connectivity || usesConnectivity(selection.filters)
      ? [`left join ${tables.connectivity} c on c.device_id = d.device_id`]
      : []),
  ].join('\n  ');
  return { from, where, facts: 'd' };
}

const whereSql = (where: readonly string[]) =>
  where.length === 0 ? '' : `\nwhere ${where.join('\n  and ')}`;

function sortColumn(sort: SortField, selection: Selection): { column: string; spec: SortColumn } {
  const spec = SORT_COLUMNS[sort];
  if (!historical(selection)) return { column: spec.current, spec };
  if (spec.historical === undefined) throw new Error(`sort ${sort} has no value at a point in time`);
  return { column: spec.historical, spec };
}

/** The sort value as text that casts back to exactly the same value (timestamps in UTC, µs). */
function sortValueSql(column: string, type: SortColumn['type']): string {
  if (type === 'timestamptz') return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  if (type === 'real') return `${column}::text`;
  return column;
}

/** The segments a page reads, in order: a cursor without a sort value is already among the nulls. */
export function pageSegments(sort: SortField, after: CursorPosition | null): Segment[] {
  if (!SORT_COLUMNS[sort].nullable) return ['values'];
  if (after !== null && after.value === null) return ['nulls'];
  return ['values', 'nulls'];
}

/**
 * One segment of a page: matching rows after the cursor, in sort order, with the twin, its
 * connectivity, the sort value (`sort_value`) and, at a point in time, the period (`as_of_*`).
 * The inner query finds the page on narrow columns and indexes; only its rows fetch the wide
 * `view` and the connectivity.
 */
export function pageStatement(
  tables: TwinTables,
  selection: Selection,
  page: PageRequest,
  segment: Segment,
): Statement {
  const p = new Params();
  const { column, spec } = sortColumn(page.sort, selection);
  const { from, where, facts } = selectionSql(tables, selection, p, {
    connectivity: column.startsWith('c.'),
    devices: column.startsWith('d.'),
  });
  const id = `${facts}.device_id`;
  const direction = page.order === 'asc' ? 'asc' : 'desc';
  const comparison = page.order === 'asc' ? '>' : '<';
  let order: string;
  let outerOrder: string;
  if (segment === 'nulls') {
    if (!spec.nullable) throw new Error(`sort ${page.sort} has no null segment`);
    where.push(spec.missing ?? `${column} is null`);
    if (page.after !== null && page.after.value === null) {
      where.push(`${id} ${comparison} ${p.add(page.after.deviceId)}`);
    }
    order = `${id} ${direction}`;
    outerOrder = `p.device_id ${direction}`;
  } else if (column === id) {
    if (page.after !== null) where.push(`${id} ${comparison} ${p.add(page.after.deviceId)}`);
    order = `${id} ${direction}`;
    outerOrder = `p.device_id ${direction}`;
  } else {
    if (spec.nullable) where.push(`${column} is not null`);
    if (page.after !== null) {
      if (page.after.value === null)
        throw new Error('a cursor without a sort value reads the null segment only');
      where.push(
        `(${column}, ${id}) ${comparison} (${p.add(page.after.value, spec.type)}, ${p.add(page.after.deviceId)})`,
      );
    }
    order = `${column} ${direction}, ${id} ${direction}`;
    outerOrder = `p.sort_key ${direction}, p.device_id ${direction}`;
  }
  const periodColumns = facts === 't' ? `, ${TIMELINE_COLUMNS}` : '';
  const asOf = facts === 't' ? `,\n  ${AS_OF_COLUMNS}` : '';
  return {
    text: `select p.device_id, d.view, ${CONNECTIVITY_COLUMNS},
  ${sortValueSql('p.sort_key', spec.type)} as sort_value${asOf}
from (
  select ${id} as device_id, ${column} as sort_key${periodColumns}
  from ${from}${whereSql(where)}
  order by ${order}
  limit ${p.add(page.limit, 'int')}
) p
  join ${tables.devices} d on d.device_id = p.device_id
  left join ${tables.connectivity} c on c.device_id = p.device_id
order by ${outerOrder}`,
    values: p.values,
  };
}

/** How many devices match the selection. */
export function countStatement(tables: TwinTables, selection: Selection): Statement {
  const p = new Params();
  const { from, where } = selectionSql(tables, selection, p);
  return { text: `select count(*)::int as total\nfrom ${from}${whereSql(where)}`, values: p.values };
}

/** Matching devices per value of `by` (null: devices without one), most common first. */
export function countsStatement(tables: TwinTables, selection: Selection, by: CountBy): Statement {
  const p = new Params();
  const { from, where } = selectionSql(tables, selection, p);
  const column = historical(selection) ? COUNT_COLUMNS[by].historical : COUNT_COLUMNS[by].current;
  return {
    text: `select ${column} as value, count(*)::int as count
from ${from}${whereSql(where)}
group by 1
order by 2 desc, 1 asc nulls last`,
    values: p.values,
  };
}

/** A page of matching device ids after `afterId`, in device id order (for bulk operations). */
export function idsStatement(
  tables: TwinTables,
  selection: Selection,
  afterId: string | null,
  limit: number,
): Statement {
  const p = new Params();
  const { from, where, facts } = selectionSql(tables, selection, p);
  if (afterId !== null) where.push(`${facts}.device_id > ${p.add(afterId)}`);
  return {
    text: `select ${facts}.device_id
from ${from}${whereSql(where)}
order by ${facts}.device_id
limit ${p.add(limit, 'int')}`,
    values: p.values,
  };
}
