import type { RecordedEvent } from '@fleet/event-store';
import type { Pool } from 'pg';
import type { DeviceEvent } from '../device';
import type { DeviceTwin, TwinStore } from './twin';

/**
 * The twin table. Each row carries the number of events applied (`version`), and every update is
 * conditional on it, so a redelivered event (at-least-once subscription) is applied exactly once.
 */
export class PostgresTwinStore implements TwinStore {
  constructor(
    private readonly pool: Pool,
    private readonly table = 'device_twin.devices',
  ) {}

  async ensureSchema(): Promise<void> {
    const schema = this.table.split('.')[0] as string;
    await this.pool.query(`
      create schema if not exists ${schema};
      create table if not exists ${this.table} (
        device_id text primary key,
        tenant text not null,
        serial text not null,
        manufacturer text not null,
        model text not null,
        hardware_revision text,
        firmware_version text,
        tags text[] not null default '{}',
        attributes jsonb not null default '{}',
        status text not null,
        desired jsonb not null default '{}',
        reported jsonb not null default '{}',
        version bigint not null,
        provisioned_at timestamptz not null,
        provisioned_by text not null,
        updated_at timestamptz not null
      )`);
  }

  async apply(event: RecordedEvent): Promise<void> {
    const domain = event as unknown as DeviceEvent;
    const version = Number(event.revision) + 1;
    switch (domain.type) {
      case 'DeviceProvisioned': {
        const d = domain.data;
        await this.pool.query(
          `insert into ${this.table} (device_id, tenant, serial, manufacturer, model, hardware_revision,
             firmware_version, tags, attributes, status, version, provisioned_at, provisioned_by, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $11, $12, $11)
           on conflict (device_id) do nothing`,
          [
            d.deviceId,
            event.metadata.tenant,
            d.serial,
            d.manufacturer,
            d.model,
            d.hardwareRevision,
            d.firmwareVersion,
            d.tags,
            d.attributes,
            version,
            event.metadata.occurredAt,
            event.metadata.actor.id,
          ],
        );
        return;
      }
      default:
        // Event types this projection does not know yet leave the twin as it is.
        return;
    }
  }

  async find(deviceId: string): Promise<DeviceTwin | undefined> {
    const { rows } = await this.pool.query(`select * from ${this.table} where device_id = $1`, [deviceId]);
    const row = rows[0];
    return row ? toTwin(row) : undefined;
  }
}

function toTwin(row: Record<string, unknown>): DeviceTwin {
  return {
    deviceId: row['device_id'] as string,
    tenant: row['tenant'] as string,
    serial: row['serial'] as string,
    manufacturer: row['manufacturer'] as string,
    model: row['model'] as string,
    hardwareRevision: row['hardware_revision'] as string | null,
    firmwareVersion: row['firmware_version'] as string | null,
    tags: row['tags'] as string[],
    attributes: row['attributes'] as Record<string, string>,
    status: row['status'] as string,
    desired: row['desired'] as Record<string, unknown>,
    reported: row['reported'] as Record<string, unknown>,
    version: Number(row['version']),
    provisionedAt: (row['provisioned_at'] as Date).toISOString(),
    provisionedBy: row['provisioned_by'] as string,
    updatedAt: (row['updated_at'] as Date).toISOString(),
  };
}
