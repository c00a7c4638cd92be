import type { Pool } from 'pg';
import type { ConnectivityUpdate } from '../connectivity';
import type { TwinTables } from '../twin/twin-tables';

/**
 * Applies connectivity updates exactly once per Kafka offset: the partition's next offset is kept
 * in the same transaction as the rows it produced, so a redelivered batch is recognised and its
 * already-applied prefix skipped.
 */
export class ConnectivityStore {
  constructor(
    private readonly pool: Pool,
    private readonly tables: TwinTables,
  ) {}

  /**
   * @param apply receives the offset from which messages are new, returns the updates for those.
   * @returns false when the whole batch had been applied before.
   */
  async applyOnce(
    topic: string,
    partition: number,
    lastOffset: bigint,
    updatesFrom: (firstNewOffset: bigint) => readonly ConnectivityUpdate[],
  ): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into ${this.tables.telemetryOffsets} (topic, partition, next_offset) values ($1, $2, 0)
         on conflict do nothing`,
        [topic, partition],
      );
      const { rows } = await client.query<{ next_offset: string }>(
        `select next_offset from ${this.tables.telemetryOffsets} where topic = $1 and partition = $2 for update`,
        [topic, partition],
      );
      const next = BigInt(rows[0]?.next_offset ?? 0);
      if (lastOffset < next) {
        await client.query('rollback');
        return false;
      }
      const updates = updatesFrom(next);
      if (updates.length > 0) await this.upsert(client, updates);
      await client.query(
        `update ${this.tables.telemetryOffsets} set next_offset = $3 where topic = $1 and partition = $2`,
        [topic, partition, String(lastOffset + 1n)],
      );
      await client.query('commit');
      return true;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async upsert(
    client: { query: Pool['query'] },
    updates: readonly ConnectivityUpdate[],
  ): Promise<void> {
    const c = this.tables.connectivity;
    await client.query(
      `insert into ${c} as c (device_id, last_seen_at, battery_percent, rssi, snr, uplink_count,
         airtime_window_start, airtime_ms, updated_at)
       select u->>'deviceId', to_timestamp((u->>'lastSeenAt')::double precision / 1000),
         (u->>'batteryPercent')::real, (u->>'rssi')::real, (u->>'snr')::real, (u->>'uplinks')::bigint,
         to_timestamp((u->>'airtimeWindowStart')::double precision / 1000), (u->>'airtimeMs')::double precision, now()
       from jsonb_array_elements($1::jsonb) as u
       on conflict (device_id) do update set
         last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at),
         battery_percent = case when excluded.last_seen_at >= c.last_seen_at
           then coalesce(excluded.battery_percent, c.battery_percent) else c.battery_percent end,
         rssi = case when excluded.last_seen_at >= c.last_seen_at then coalesce(excluded.rssi, c.rssi) else c.rssi end,
         snr = case when excluded.last_seen_at >= c.last_seen_at then coalesce(excluded.snr, c.snr) else c.snr end,
         uplink_count = c.uplink_count + excluded.uplink_count,
         airtime_ms = case
           when c.airtime_window_start = excluded.airtime_window_start then c.airtime_ms + excluded.airtime_ms
           when c.airtime_window_start > excluded.airtime_window_start then c.airtime_ms
           else excluded.airtime_ms end,
         airtime_window_start = greatest(c.airtime_window_start, excluded.airtime_window_start),
         updated_at = now()`,
      [JSON.stringify(updates)],
    );
  }
}
