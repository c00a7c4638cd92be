import type { RecordedEvent } from '@fleet/event-store';
import type { Pool, PoolClient } from 'pg';
import { REGION_LIMITS } from '../configuration';
import type { Connectivity, DeviceTwin, TwinStore } from './twin';
import {
  SNAPSHOT_INTERVAL,
  TWIN_WRITE_LOCK,
  twinSchemaSql,
  twinTables,
  type TwinTables,
} from './twin-tables';
import {
  evolveTwin,
  expectedIntervalSeconds,
  offlineAfterSeconds,
  timelineChanged,
  timelineFacts,
  twinDelta,
  type TimelineFacts,
  type TwinView,
} from './twin-view';

/** A period of a device's searchable facts, starting at `validFrom`. */
export interface TimelineRow {
  readonly deviceId: string;
  readonly version: number;
  readonly facts: TimelineFacts;
  readonly validFrom: string;
  validTo: string | null;
}

export const timelineRow = (view: TwinView, validFrom: string): TimelineRow => ({
  deviceId: view.deviceId,
  version: view.version,
  facts: timelineFacts(view),
  validFrom,
  validTo: null,
});

/**
 * The twin tables in PostgreSQL. Each batch of events is folded with the pure `evolveTwin` over the
 * rows it touches, inside one transaction; a row's `version` makes redelivered events no-ops.
 */
export class PostgresTwinStore implements TwinStore {
  constructor(
    private readonly pool: Pool,
    readonly tables: TwinTables = twinTables(),
  ) {}

  async ensureSchema(): Promise<void> {
    await this.pool.query(twinSchemaSql(this.tables));
  }

  async applyBatch(events: readonly RecordedEvent[]): Promise<void> {
    const deviceEvents = events.filter((e) => e.stream.startsWith('device-'));
    if (deviceEvents.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(`select pg_advisory_xact_lock_shared(${TWIN_WRITE_LOCK})`);
      await applyEvents(client, this.tables, deviceEvents);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async snapshotBefore(
    deviceId: string,
    until: { version?: number; at?: Date },
  ): Promise<TwinView | undefined> {
    const { rows } = await this.pool.query<{ view: TwinView }>(
      `select view from ${this.tables.snapshots}
       where device_id = $1 and version <= coalesce($2, version) and occurred_at <= coalesce($3, occurred_at)
       order by version desc limit 1`,
      [deviceId, until.version ?? null, until.at?.toISOString() ?? null],
    );
    return rows[0]?.view;
  }

  async find(deviceId: string): Promise<DeviceTwin | undefined> {
    const { rows } = await this.pool.query<TwinRow>(
      `select d.view, ${CONNECTIVITY_COLUMNS}
       from ${this.tables.devices} d left join ${this.tables.connectivity} c using (device_id)
       where d.device_id = $1`,
      [deviceId],
    );
    const row = rows[0];
    return row ? toDeviceTwin(row) : undefined;
  }

  /** The twin as stored, without connectivity; for comparisons with a rebuild. */
  async version(deviceId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ version: string }>(
      `select version from ${this.tables.devices} where device_id = $1`,
      [deviceId],
    );
    return rows[0] ? Number(rows[0].version) : undefined;
  }
}

/** Folds device events into the twin tables, within the caller's transaction. */
export async function applyEvents(
  client: Pick<PoolClient, 'query'>,
  tables: TwinTables,
  events: readonly RecordedEvent[],
): Promise<void> {
  const ids = [...new Set(events.map((e) => e.stream.slice('device-'.length)))];
  const { rows } = await client.query<{ device_id: string; view: TwinView }>(
    `select device_id, view from ${tables.devices} where device_id = any($1) for update`,
    [ids],
  );
  const { views, timeline, snapshots } = foldBatch(new Map(rows.map((r) => [r.device_id, r.view])), events);
  await writeViews(client, tables, [...views.values()]);
  await writeSnapshots(client, tables, snapshots);
  await closeOpenPeriods(client, tables, timeline);
  await insertPeriods(client, tables, timeline);
}

/** Folds events over the current views; returns the changed views and the new timeline periods. */
export function foldBatch(
  current: ReadonlyMap<string, TwinView>,
  events: readonly RecordedEvent[],
): { views: Map<string, TwinView>; timeline: TimelineRow[]; snapshots: TwinView[] } {
  const views = new Map<string, TwinView>();
  const snapshots: TwinView[] = [];
  const periods = new Map<string, TimelineRow[]>();
  for (const event of events) {
    const deviceId = event.stream.slice('device-'.length);
    const before = views.get(deviceId) ?? current.get(deviceId);
    const after = evolveTwin(before, event);
    if (!after || after === before) continue;
    views.set(deviceId, after);
    if (after.version % SNAPSHOT_INTERVAL === 0) snapshots.push(after);
    if (timelineChanged(before, after)) {
      const list = periods.get(deviceId) ?? [];
      const previous = list.at(-1);
      if (previous) previous.validTo = event.metadata.occurredAt;
      list.push(timelineRow(after, event.metadata.occurredAt));
      periods.set(deviceId, list);
    }
  }
  return { views, timeline: [...periods.values()].flat(), snapshots };
}

/** Upserts views; a row only moves forward (`version` guard), so replays cannot roll it back. */
export async function writeViews(
  client: Pick<PoolClient, 'query'>,
  tables: TwinTables,
  views: readonly TwinView[],
): Promise<void> {
  if (views.length === 0) return;
  await client.query(
    `insert into ${tables.devices} (device_id, tenant, serial, manufacturer, model, firmware_version, status,
       region, device_class, tags, expected_interval_s, version, provisioned_at, updated_at, view)
     select v->>'deviceId', v->>'tenant', v->>'serial', v->>'manufacturer', v->>'model', v->>'firmwareVersion',
       v->>'status', v->>'region', v->'deviceClass'->>'kind',
       array(select jsonb_array_elements_text(v->'tags')), (x->>'interval')::int, (v->>'version')::bigint,
       (v->>'provisionedAt')::timestamptz, (v->>'updatedAt')::timestamptz, v
     from jsonb_array_elements($1::jsonb) as x, lateral (select x->'view' as v) as y
     on conflict (device_id) do update set
       tenant = excluded.tenant, serial = excluded.serial, manufacturer = excluded.manufacturer,
       model = excluded.model, firmware_version = excluded.firmware_version, status = excluded.status,
       region = excluded.region, device_class = excluded.device_class, tags = excluded.tags,
       expected_interval_s = excluded.expected_interval_s, version = excluded.version,
       updated_at = excluded.updated_at, view = excluded.view
     where ${tables.devices}.version < excluded.version`,
    [JSON.stringify(views.map((view) => ({ view, interval: expectedIntervalSeconds(view) })))],
  );
}

/** Keeps snapshots; one already there (redelivery) is left as is. */
export async function writeSnapshots(
  client: Pick<PoolClient, 'query'>,
  tables: TwinTables,
  views: readonly TwinView[],
): Promise<void> {
  if (views.length === 0) return;
  await client.query(
    `insert into ${tables.snapshots} (device_id, version, occurred_at, view)
     select v->>'deviceId', (v->>'version')::bigint, (v->>'updatedAt')::timestamptz, v
     from jsonb_array_elements($1::jsonb) as v
     on conflict (device_id, version) do nothing`,
    [JSON.stringify(views)],
  );
}

/** Closes each device's open period where its first new period starts. */
export async function closeOpenPeriods(
  client: Pick<PoolClient, 'query'>,
  tables: TwinTables,
  rows: readonly TimelineRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const firsts = new Map<string, TimelineRow>();
  for (const row of rows) if (!firsts.has(row.deviceId)) firsts.set(row.deviceId, row);
  await client.query(
    `update ${tables.timeline} t set valid_to = x.valid_from
     from unnest($1::text[], $2::timestamptz[], $3::bigint[]) as x(device_id, valid_from, version)
     where t.device_id = x.device_id and t.valid_to is null and t.version < x.version`,
    [
      [...firsts.keys()],
      [...firsts.values()].map((r) => r.validFrom),
      [...firsts.values()].map((r) => r.version),
    ],
  );
}

/** Adds timeline periods; a period already there (redelivery) is left as is. */
export async function insertPeriods(
  client: Pick<PoolClient, 'query'>,
  tables: TwinTables,
  rows: readonly TimelineRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `insert into ${tables.timeline} (device_id, version, valid_from, valid_to, serial, manufacturer, model,
       firmware_version, status, region, tags)
     select r->>'deviceId', (r->>'version')::bigint, (r->>'validFrom')::timestamptz, (r->>'validTo')::timestamptz,
       r->>'serial', r->>'manufacturer', r->>'model', r->>'firmwareVersion', r->>'status', r->>'region',
       array(select jsonb_array_elements_text(r->'tags'))
     from jsonb_array_elements($1::jsonb) as r
     on conflict (device_id, version) do nothing`,
    [
      JSON.stringify(
        rows.map(({ deviceId, version, facts, validFrom, validTo }) => ({
          deviceId,
          version,
          validFrom,
          validTo,
          ...facts,
        })),
      ),
    ],
  );
}

/** Columns of `connectivity c` that {@link toDeviceTwin} reads. */
export const CONNECTIVITY_COLUMNS = `c.last_seen_at, c.battery_percent, c.rssi, c.snr, c.uplink_count,
  c.downlink_count, c.airtime_window_start, c.airtime_ms`;

export interface TwinRow {
  view: TwinView;
  last_seen_at: Date | null;
  battery_percent: number | null;
  rssi: number | null;
  snr: number | null;
  uplink_count: string | null;
  downlink_count: string | null;
  airtime_window_start: Date | null;
  airtime_ms: number | null;
}

export function toDeviceTwin(row: TwinRow, now = new Date()): DeviceTwin {
  const view = row.view;
  return { ...view, delta: twinDelta(view), connectivity: toConnectivity(view, row, now) };
}

function toConnectivity(view: TwinView, row: TwinRow, now: Date): Connectivity | null {
  if (!row.last_seen_at) return null;
  const silentFor = (now.getTime() - row.last_seen_at.getTime()) / 1000;
  const dutyCycle = view.region ? REGION_LIMITS[view.region].dutyCycle : null;
  const windowStart = row.airtime_window_start;
  const currentWindow = windowStart !== null && now.getTime() - windowStart.getTime() < 3_600_000;
  return {
    lastSeenAt: row.last_seen_at.toISOString(),
    online: silentFor <= offlineAfterSeconds(expectedIntervalSeconds(view)),
    batteryPercent: row.battery_percent,
    rssi: row.rssi,
    snr: row.snr,
    uplinkCount: Number(row.uplink_count ?? 0),
    downlinkCount: Number(row.downlink_count ?? 0),
    airtime: {
      windowStart: windowStart?.toISOString() ?? null,
      usedMs: currentWindow ? (row.airtime_ms ?? 0) : 0,
      budgetMs: dutyCycle === null ? null : dutyCycle * 3_600_000,
    },
  };
}
