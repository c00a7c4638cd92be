import { TABLES } from '../../storage/postgres/tables';
import type { Tx } from '../../storage/postgres/transaction';

const UNKNOWN_INTERVAL_SECONDS = 300;

/**
 * The silence index: `device_activity` holds each device's last uplink and `next_check_at`, the
 * moment the smallest silence multiplier's deadline passes (last seen + k × the device's own
 * expected interval). It is fed by merging journal rows that telemetry batches appended.
 */
export class ActivityIndex {
  /**
   * Merges up to `maxRows` journal rows (oldest first) into the index and deletes them.
   * @returns the number of journal rows merged.
   */
  async merge(tx: Tx, maxRows: number, multiplier: number | null): Promise<number> {
    const { rows } = await tx.query<{ id: string }>(`select id from ${TABLES.journal} order by id limit $1`, [
      maxRows,
    ]);
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    await tx.query(
      `with entries as (
         select distinct on (e.d) e.d, e.s, e.b, e.r, e.n,
           case when e.ws is null then null else array[e.ws, e.pu, e.cu, e.pa, e.ca] end as w
         from ${TABLES.journal} j,
           unnest(j.devices, j.seen, j.battery, j.rssi, j.snr, j.window_start, j.previous_uplinks,
             j.current_uplinks, j.previous_airtime, j.current_airtime) as e(d, s, b, r, n, ws, pu, cu, pa, ca)
         where j.id = any($1::bigint[])
         order by e.d, e.s desc, j.id desc)
       insert into ${TABLES.activity} as a (device_id, last_seen_at, next_check_at, battery, rssi, snr, rate_window)
       select e.d, to_timestamp(e.s / 1000.0),
         case when $2::float8 is null then null
           else to_timestamp(e.s / 1000.0) + make_interval(secs => $2::float8 * coalesce(d.interval_s, ${UNKNOWN_INTERVAL_SECONDS})) end,
         e.b, e.r, e.n, e.w
       from entries e left join ${TABLES.devices} d on d.device_id = e.d
       on conflict (device_id) do update set
         last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),
         next_check_at = case when excluded.last_seen_at >= a.last_seen_at then excluded.next_check_at else a.next_check_at end,
         battery = case when excluded.last_seen_at >= a.last_seen_at then coalesce(excluded.battery, a.battery) else a.battery end,
         rssi = case when excluded.last_seen_at >= a.last_seen_at then coalesce(excluded.rssi, a.rssi) else a.rssi end,
         snr = case when excluded.last_seen_at >= a.last_seen_at then coalesce(excluded.snr, a.snr) else a.snr end,
         rate_window = case when excluded.last_seen_at >= a.last_seen_at then coalesce(excluded.rate_window, a.rate_window)
           else a.rate_window end`,
      [ids, multiplier],
    );
    await tx.query(`delete from ${TABLES.journal} where id = any($1::bigint[])`, [ids]);
    return ids.length;
  }

  /** Journal rows not merged yet, and when the oldest was written (epoch ms; now when none). */
  async journalAge(tx: Tx): Promise<{ rows: number; oldest: number }> {
    const { rows } = await tx.query<{ n: string; oldest: Date | null }>(
      `select count(*) as n, min(created_at) as oldest from ${TABLES.journal}`,
    );
    return { rows: Number(rows[0]?.n ?? 0), oldest: rows[0]?.oldest?.getTime() ?? Date.now() };
  }

  async backlog(tx: Tx): Promise<number> {
    const { rows } = await tx.query<{ n: string }>(`select count(*) as n from ${TABLES.journal}`);
    return Number(rows[0]?.n ?? 0);
  }

  async anyDue(tx: Tx, now: number): Promise<boolean> {
    const { rows } = await tx.query(
      `select 1 from ${TABLES.activity} where next_check_at <= to_timestamp($1 / 1000.0) limit 1`,
      [now],
    );
    return rows.length > 0;
  }

  /** The latest uplink of each of these devices that is still in the journal (not merged yet). */
  async unmergedUplinks(tx: Tx, deviceIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await tx.query<{ d: string; s: number }>(
      `select e.d, max(e.s) as s from ${TABLES.journal} j, unnest(j.devices, j.seen) as e(d, s)
       where e.d = any($1::text[]) group by e.d`,
      [deviceIds],
    );
    return new Map(rows.map((r) => [r.d, Number(r.s)]));
  }

  /** Devices whose next check is due, locked, earliest first. */
  async due(
    tx: Tx,
    now: number,
    limit: number,
  ): Promise<{ deviceId: string; lastSeenAt: number; nextCheckAt: number }[]> {
    const { rows } = await tx.query<{ device_id: string; last_seen_at: Date; next_check_at: Date }>(
      `select device_id, last_seen_at, next_check_at from ${TABLES.activity}
       where next_check_at <= to_timestamp($1 / 1000.0) order by next_check_at limit $2 for update`,
      [now, limit],
    );
    return rows.map((r) => ({
      deviceId: r.device_id,
      lastSeenAt: r.last_seen_at.getTime(),
      nextCheckAt: r.next_check_at.getTime(),
    }));
  }

  async reschedule(tx: Tx, next: readonly { deviceId: string; at: number | null }[]): Promise<void> {
    if (next.length === 0) return;
    await tx.query(
      `update ${TABLES.activity} a set next_check_at = case when n.at is null then null else to_timestamp(n.at / 1000.0) end
       from unnest($1::text[], $2::float8[]) as n(device_id, at) where a.device_id = n.device_id`,
      [next.map((n) => n.deviceId), next.map((n) => n.at)],
    );
  }

  /**
   * A silence rule with multiplier `k` appeared (or changed): every device is checked no later
   * than k × its interval after its last uplink.
   */
  async bringForward(tx: Tx, multiplier: number): Promise<number> {
    const result = await tx.query(
      `update ${TABLES.activity} a set next_check_at = a.last_seen_at + make_interval(secs => $1::float8 *
         coalesce((select d.interval_s from ${TABLES.devices} d where d.device_id = a.device_id), ${UNKNOWN_INTERVAL_SECONDS}))
       where a.next_check_at is null or a.next_check_at > a.last_seen_at + make_interval(secs => $1::float8 *
         coalesce((select d.interval_s from ${TABLES.devices} d where d.device_id = a.device_id), ${UNKNOWN_INTERVAL_SECONDS}))`,
      [multiplier],
    );
    return result.rowCount ?? 0;
  }

  /** A device's interval changed (or it became known): its next check follows. */
  async rescheduleDevice(
    tx: Tx,
    deviceId: string,
    intervalSeconds: number,
    multiplier: number | null,
  ): Promise<void> {
    await tx.query(
      `update ${TABLES.activity} set next_check_at = case when $3::float8 is null then null
         else least(coalesce(next_check_at, 'infinity'::timestamptz), last_seen_at + make_interval(secs => $3::float8 * $2)) end
       where device_id = $1`,
      [deviceId, intervalSeconds, multiplier],
    );
  }
}
