import { ConflictError, NotFoundError, ValidationError } from '@fleet/core';
import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Region } from '../configuration';
import type { DeviceStatus } from '../device';
import { toDeviceTwin, type TwinRow } from '../twin/postgres-twin.store';
import type { DeviceTwin } from '../twin/twin';
import { twinTables, type TwinTables } from '../twin/twin-tables';
import type { TimelineFacts } from '../twin/twin-view';
import {
  deviceFilterSchema,
  nonHistorisedFilters,
  notHistorisedMessage,
  resolveTime,
  type CountBy,
  type DeviceFilter,
  type DeviceSearchQuery,
  type DeviceSelection,
} from './device-query';
import { GROUP_RESOLVER, type GroupResolver, type GroupSelector } from './group-resolver';
import { encodeCursor } from './search-cursor';
import {
  countsStatement,
  countStatement,
  idsStatement,
  pageSegments,
  pageStatement,
  type Selection,
} from './search-sql';

/** Twin tables search reads; defaults to `twinTables()` (tests bind their own schema). */
export const SEARCH_TWIN_TABLES = Symbol('SEARCH_TWIN_TABLES');

/** A device's searchable facts in the timeline period valid at the requested point in time. */
export interface AsOf extends TimelineFacts {
  /** Twin version that opened the period. */
  readonly version: number;
  readonly validFrom: string;
  /** End of the period; null when it is still current. */
  readonly validTo: string | null;
}

/** A match: the current twin; at a point in time also the facts that matched (`asOf`). */
export type DeviceSearchItem = DeviceTwin & { readonly asOf?: AsOf };

export interface DeviceSearchResult {
  /** The point in time matched against, when the request had `at`. */
  readonly at?: string;
  readonly items: DeviceSearchItem[];
  /** Every match (same filters), not just this page. */
  readonly total: number;
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface DeviceCounts {
  readonly by: CountBy;
  readonly at?: string;
  readonly total: number;
  /** Most common first; `value` null for devices without one (no firmware or region). */
  readonly counts: { value: string | null; count: number }[];
}

interface PageRow extends TwinRow {
  device_id: string;
  sort_value: string | null;
  as_of_version?: string;
  as_of_valid_from?: Date;
  as_of_valid_to?: Date | null;
  as_of_serial?: string;
  as_of_manufacturer?: string;
  as_of_model?: string;
  as_of_firmware_version?: string | null;
  as_of_status?: DeviceStatus;
  as_of_region?: Region | null;
  as_of_tags?: string[];
}

/**
 * Fleet search over the twin read model: filters, keyset pages, totals, counts and id streams,
 * now or at a point in time. See docs/search.md.
 */
@Injectable()
export class DeviceSearch {
  private readonly tables: TwinTables;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Optional() @Inject(SEARCH_TWIN_TABLES) tables?: TwinTables,
    @Optional() @Inject(GROUP_RESOLVER) private readonly groups?: GroupResolver,
  ) {
    this.tables = tables ?? twinTables();
  }

  /**
   * One page of matching twins and the number of all matches. The page and the count run
   * concurrently (two connections); both see committed data as of their own statement.
   */
  async search(query: DeviceSearchQuery, tenant?: string, now = new Date()): Promise<DeviceSearchResult> {
    const selection = await this.selection(query, tenant, now);
    const [rows, total] = await Promise.all([this.pageRows(selection, query), this.count(selection)]);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > query.limit && last
        ? encodeCursor(query.sort, query.order, { value: last.sort_value, deviceId: last.device_id })
        : null;
    const items = page.map((row) => toItem(row, now));
    return selection.at
      ? { at: selection.at.toISOString(), items, total, nextCursor }
      : { items, total, nextCursor };
  }

  /**
   * Ids of every matching device, in device id order, `pageSize` at a time (for bulk operations
   * over the whole fleet). Relative times are resolved once, so every page applies the same filter;
   * a device that starts or stops matching while the pages are read may or may not be included.
   */
  async *ids(
    query: DeviceSelection,
    options: { tenant?: string; pageSize?: number; now?: Date } = {},
  ): AsyncGenerator<string[], void, undefined> {
    const pageSize = options.pageSize ?? 1000;
    const selection = await this.selection(query, options.tenant, options.now ?? new Date());
    let after: string | null = null;
    for (;;) {
      const result: { rows: { device_id: string }[] } = await this.pool.query<{ device_id: string }>(
        idsStatement(this.tables, selection, after, pageSize),
      );
      const ids = result.rows.map((row) => row.device_id);
      if (ids.length > 0) yield ids;
      const last = ids.at(-1);
      if (ids.length < pageSize || last === undefined) return;
      after = last;
    }
  }

  /** Matching devices per value of `by`. */
  async counts(
    query: DeviceSelection,
    by: CountBy,
    tenant?: string,
    now = new Date(),
  ): Promise<DeviceCounts> {
    const selection = await this.selection(query, tenant, now);
    const { rows } = await this.pool.query<{ value: string | null; count: number }>(
      countsStatement(this.tables, selection, by),
    );
    const counts = rows.map((row) => ({ value: row.value, count: row.count }));
    const total = counts.reduce((sum, row) => sum + row.count, 0);
    return selection.at ? { by, at: selection.at.toISOString(), total, counts } : { by, total, counts };
  }

  private async count(selection: Selection): Promise<number> {
    const { rows } = await this.pool.query<{ total: number }>(countStatement(this.tables, selection));
    return rows[0]?.total ?? 0;
  }

  /** Up to `limit + 1` rows after the cursor, across the value and null segments of the sort. */
  private async pageRows(selection: Selection, query: DeviceSearchQuery): Promise<PageRow[]> {
    const rows: PageRow[] = [];
    for (const segment of pageSegments(query.sort, query.after)) {
      const wanted = query.limit + 1 - rows.length;
      if (wanted <= 0) break;
      const statement = pageStatement(
        this.tables,
        selection,
        { sort: query.sort, order: query.order, after: query.after, limit: wanted },
        segment,
      );
      rows.push(...(await this.pool.query<PageRow>(statement)).rows);
    }
    return rows;
  }

  private async selection(query: DeviceSelection, tenant: string | undefined, now: Date): Promise<Selection> {
    const at = query.at === null ? null : resolveTime(query.at, now);
    const unhistorised = nonHistorisedFilters(query.filter);
    if (at !== null && unhistorised.length > 0) {
      // The query schemas refuse this already; in-process callers build selections themselves.
      throw new ValidationError(notHistorisedMessage(unhistorised.join(', ')), {
        issues: unhistorised.map((path) => ({ path, message: notHistorisedMessage(path) })),
      });
    }
    const filters: DeviceFilter[] = [query.filter];
    if (query.group !== null) filters.push(await this.groupFilter(query.group, at !== null));
    return { filters, tenant: tenant ?? null, at, now };
  }

  /** The filter a saved group stands for. @throws NotFoundError for an unknown group. */
  private async groupFilter(name: string, atPointInTime: boolean): Promise<DeviceFilter> {
    if (!this.groups) throw new ValidationError('group: groups are not available in this service');
    const group = await this.groups.findGroup(name);
    if (!group) throw new NotFoundError(`group ${name} not found`, { group: name });
    const filter = groupFilterOf(group);
    const unhistorised = nonHistorisedFilters(filter);
    if (atPointInTime && unhistorised.length > 0) {
      throw new ValidationError(
        `group: ${notHistorisedMessage(`dynamic group ${name} filters on ${unhistorised.join(', ')}, which`)}`,
        { issues: [{ path: 'group', message: `group ${name} filters on ${unhistorised.join(', ')}` }] },
      );
    }
    return filter;
  }
}

/** A group as a filter: its tag, or its saved query (validated again: the schema may have moved on). */
export function groupFilterOf(group: GroupSelector): DeviceFilter {
  if (group.kind === 'static') {
    if (group.tag === null) throw new ConflictError(`group ${group.name} is static but has no tag`);
    return { tag: [group.tag] };
  }
  const parsed = deviceFilterSchema.safeParse(group.query ?? {});
  if (!parsed.success) {
    throw new ConflictError(
      `the saved query of group ${group.name} is no longer valid (${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}); redefine the group`,
      { group: group.name },
    );
  }
  return parsed.data;
}

function toItem(row: PageRow, now: Date): DeviceSearchItem {
  const twin = toDeviceTwin(row, now);
  if (row.as_of_valid_from === undefined) return twin;
  return {
    ...twin,
    asOf: {
      version: Number(row.as_of_version),
      validFrom: row.as_of_valid_from.toISOString(),
      validTo: row.as_of_valid_to ? row.as_of_valid_to.toISOString() : null,
      serial: row.as_of_serial ?? twin.serial,
      manufacturer: row.as_of_manufacturer ?? twin.manufacturer,
      model: row.as_of_model ?? twin.model,
      firmwareVersion: row.as_of_firmware_version ?? null,
      status: row.as_of_status ?? twin.status,
      region: row.as_of_region ?? null,
      tags: row.as_of_tags ?? [],
    },
  };
}
