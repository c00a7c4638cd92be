import type { Pool } from 'pg';
import type { DeviceView } from '../../commands/gates';
import { deviceViewOf, type DeviceRow } from '../../commands/store/command-store';
import type { DeviceFacts, WakeUp } from '../device-facts';

/** `dispatch_devices`: the dispatcher's own view of each device, from device events and telemetry. */
export class DeviceStore {
  constructor(private readonly pool: Pool) {}

  async find(deviceId: string): Promise<DeviceView | undefined> {
    const { rows } = await this.pool.query<DeviceRow>('SELECT * FROM dispatch_devices WHERE device_id = $1', [
      deviceId,
    ]);
    return rows[0] && deviceViewOf(rows[0]);
  }

  async findMany(deviceIds: readonly string[]): Promise<Map<string, DeviceView>> {
    const { rows } = await this.pool.query<DeviceRow>(
      'SELECT * FROM dispatch_devices WHERE device_id = ANY($1::text[])',
      [deviceIds],
    );
    return new Map(rows.map((r) => [r.device_id, deviceViewOf(r)]));
  }

  /** Applies device facts in stream order; a fact at or below the stored revision is a redelivery. */
  async applyFacts(facts: readonly DeviceFacts[]): Promise<void> {
    if (facts.length === 0) return;
    await this.pool.query(
      `INSERT INTO dispatch_devices AS d (device_id, revision, status, kind, lorawan_class, dev_eui, region,
         model, firmware_version, tags, attributes, max_in_flight, data_rate)
       SELECT f.device_id, f.revision, f.status, f.kind, f.lorawan_class, f.dev_eui, f.region, f.model,
         f.firmware_version, ARRAY(SELECT jsonb_array_elements_text(f.tags)), f.attributes, f.max_in_flight,
         f.data_rate
       FROM jsonb_to_recordset($1::jsonb) AS f(device_id text, revision bigint, status text, kind text,
         lorawan_class text, dev_eui text, region text, model text, firmware_version text, tags jsonb,
         attributes jsonb, max_in_flight int, data_rate int)
       ON CONFLICT (device_id) DO UPDATE SET revision = EXCLUDED.revision, status = EXCLUDED.status,
         kind = EXCLUDED.kind, lorawan_class = EXCLUDED.lorawan_class, dev_eui = EXCLUDED.dev_eui,
         region = EXCLUDED.region, model = EXCLUDED.model, firmware_version = EXCLUDED.firmware_version,
         tags = EXCLUDED.tags, attributes = EXCLUDED.attributes, max_in_flight = EXCLUDED.max_in_flight,
         data_rate = COALESCE(EXCLUDED.data_rate, d.data_rate)
       WHERE d.revision < EXCLUDED.revision`,
      [
        JSON.stringify(
          facts.map((f) => ({
            device_id: f.deviceId,
            revision: f.revision,
            status: f.status,
            kind: f.kind,
            lorawan_class: f.lorawanClass,
            dev_eui: f.devEui,
            region: f.region,
            model: f.model,
            firmware_version: f.firmwareVersion,
            tags: f.tags,
            attributes: f.attributes,
            max_in_flight: f.maxInFlight,
            data_rate: f.dataRate,
          })),
        ),
      ],
    );
  }

  /** The facts a device event changes, read back so the next event of the same device folds onto them. */
  async facts(deviceIds: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const { rows } = await this.pool.query<{
      device_id: string;
      revision: string;
      status: DeviceFacts['status'];
      kind: DeviceFacts['kind'];
      lorawan_class: DeviceFacts['lorawanClass'];
      dev_eui: string | null;
      region: string | null;
      model: string | null;
      firmware_version: string | null;
      tags: string[];
      attributes: Record<string, string>;
      max_in_flight: number;
      data_rate: number | null;
    }>('SELECT * FROM dispatch_devices WHERE device_id = ANY($1::text[])', [deviceIds]);
    return new Map(
      rows.map((r) => [
        r.device_id,
        {
          deviceId: r.device_id,
          revision: Number(r.revision),
          status: r.status,
          kind: r.kind,
          lorawanClass: r.lorawan_class,
          devEui: r.dev_eui,
          region: r.region,
          model: r.model,
          firmwareVersion: r.firmware_version,
          tags: r.tags,
          attributes: r.attributes,
          maxInFlight: r.max_in_flight,
          dataRate: r.data_rate,
        },
      ]),
    );
  }

  /** Devices that talked: when, and what they said about battery and firmware update state. */
  async recordWakeUps(wakeUps: readonly WakeUp[]): Promise<void> {
    if (wakeUps.length === 0) return;
    await this.pool.query(
      `UPDATE dispatch_devices AS d SET
         last_uplink_at = GREATEST(d.last_uplink_at, w.at),
         battery_percent = COALESCE(w.battery, d.battery_percent),
         firmware_update_state = COALESCE(w.firmware_state, d.firmware_update_state)
       FROM jsonb_to_recordset($1::jsonb) AS w(device_id text, at timestamptz, battery real, firmware_state int)
       WHERE d.device_id = w.device_id`,
      [
        JSON.stringify(
          wakeUps.map((w) => ({
            device_id: w.deviceId,
            at: w.at,
            battery: w.batteryPercent,
            firmware_state: w.firmwareUpdateState,
          })),
        ),
      ],
    );
  }

  /** Adds a downlink's air time to the device's budget window, opening a new window when the last one ended. */
  async spendAirtime(deviceId: string, airtimeMs: number, windowMs: number, now: string): Promise<void> {
    await this.pool.query(
      `UPDATE dispatch_devices SET
         airtime_used_ms = CASE WHEN airtime_window_start IS NULL
             OR airtime_window_start <= $4::timestamptz - make_interval(secs => $3::double precision / 1000)
           THEN $2 ELSE airtime_used_ms + $2 END,
         airtime_window_start = CASE WHEN airtime_window_start IS NULL
             OR airtime_window_start <= $4::timestamptz - make_interval(secs => $3::double precision / 1000)
           THEN $4::timestamptz ELSE airtime_window_start END
       WHERE device_id = $1`,
      [deviceId, airtimeMs, windowMs, now],
    );
  }

  /** Device ids matching a job filter (the dispatcher's own facts: status, kind, model, firmware, tags, region). */
  async select(filter: DeviceFilter, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ device_id: string }>(
      `SELECT device_id FROM dispatch_devices
        WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
          AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR model = $3)
          AND ($4::text IS NULL OR firmware_version = $4) AND ($5::text[] IS NULL OR tags @> $5::text[])
          AND ($6::text IS NULL OR region = $6) AND ($7::text[] IS NULL OR device_id = ANY($7::text[]))
        ORDER BY device_id LIMIT $8`,
      [
        filter.status ?? null,
        filter.kind ?? null,
        filter.model ?? null,
        filter.firmwareVersion ?? null,
        filter.tags ?? null,
        filter.region ?? null,
        filter.deviceIds ?? null,
        limit,
      ],
    );
    return rows.map((r) => r.device_id);
  }
}

export interface DeviceFilter {
  readonly status?: readonly string[] | undefined;
  readonly kind?: string | undefined;
  readonly model?: string | undefined;
  readonly firmwareVersion?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly region?: string | undefined;
  readonly deviceIds?: readonly string[] | undefined;
}
