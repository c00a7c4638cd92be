import type { Pool } from 'pg';
import type { DeviceAccess } from '../device-access';

/** Ingestion's own copy of who may talk; rebuilt from the device-events topic if dropped. */
export class DeviceAccessTable {
  constructor(
    private readonly pool: Pool,
    private readonly table = 'ingestion_device_access',
  ) {}

  async create(): Promise<void> {
    await this.pool.query(`
      create table if not exists ${this.table} (
        device_id text primary key,
        tenant text not null,
        status text not null,
        model text not null,
        dev_eui text,
        revision bigint not null,
        updated_at timestamptz not null default now()
      )`);
  }

  async loadAll(): Promise<DeviceAccess[]> {
    const { rows } = await this.pool.query<{
      device_id: string;
      tenant: string;
      status: DeviceAccess['status'];
      model: string;
      dev_eui: string | null;
      revision: string;
    }>(`select device_id, tenant, status, model, dev_eui, revision from ${this.table}`);
    return rows.map((r) => ({
      deviceId: r.device_id,
      tenant: r.tenant,
      status: r.status,
      model: r.model,
      devEui: r.dev_eui,
      revision: Number(r.revision),
    }));
  }

  /** Upserts, never moving a row back to an older revision (another replica may be ahead). */
  async save(entries: readonly DeviceAccess[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `insert into ${this.table} (device_id, tenant, status, model, dev_eui, revision)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
         on conflict (device_id) do update set
           tenant = excluded.tenant, status = excluded.status, model = excluded.model,
           dev_eui = excluded.dev_eui, revision = excluded.revision, updated_at = now()
         where ${this.table}.revision < excluded.revision`,
      [
        entries.map((e) => e.deviceId),
        entries.map((e) => e.tenant),
        entries.map((e) => e.status),
        entries.map((e) => e.model),
        entries.map((e) => e.devEui),
        entries.map((e) => e.revision),
      ],
    );
  }
}
