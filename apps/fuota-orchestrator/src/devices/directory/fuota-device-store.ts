import type { DeviceFacts } from '@fleet/contracts';
import type { Pool } from 'pg';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fuota_devices (
  device_id text PRIMARY KEY,
  revision bigint NOT NULL DEFAULT -1,
  facts jsonb,
  status text,
  model text,
  hardware_revision text,
  firmware_version text,
  tags text[] NOT NULL DEFAULT '{}',
  region text,
  kind text,
  battery_percent real,
  update_state int,
  update_state_at timestamptz,
  update_result int,
  update_result_at timestamptz,
  reported_version text,
  reported_version_at timestamptz,
  last_seen_at timestamptz
);
ALTER TABLE fuota_devices ADD COLUMN IF NOT EXISTS dev_eui text;
CREATE INDEX IF NOT EXISTS fuota_devices_model ON fuota_devices (model);
CREATE INDEX IF NOT EXISTS fuota_devices_dev_eui ON fuota_devices (dev_eui);
CREATE INDEX IF NOT EXISTS fuota_devices_tags ON fuota_devices USING gin (tags);
CREATE TABLE IF NOT EXISTS fuota_commands (
  command_id text PRIMARY KEY,
  device_id text NOT NULL,
  campaign_id text NOT NULL,
  status text NOT NULL,
  gate text,
  reason text,
  at timestamptz NOT NULL
);
`;

/** What the orchestrator knows of a device: its twin facts (device events) and latest reports (telemetry). */
export interface DeviceRow {
  readonly deviceId: string;
  readonly facts: DeviceFacts | null;
  readonly batteryPercent: number | null;
  readonly updateState: { value: number; at: string } | null;
  readonly updateResult: { value: number; at: string } | null;
  readonly reportedVersion: { value: string; at: string } | null;
}

/** A device's reading of interest, from one telemetry record. */
export interface DeviceReport {
  readonly deviceId: string;
  readonly at: string;
  readonly batteryPercent: number | null;
  readonly updateState: number | null;
  readonly updateResult: number | null;
  readonly firmwareVersion: string | null;
}

export interface CommandOutcomeRow {
  readonly commandId: string;
  readonly deviceId: string;
  readonly status: string;
  readonly gate: string | null;
  readonly reason: string | null;
  readonly at: string;
}

/** A campaign step's command, recorded when the dispatcher relays its CommandRequested. */
export interface CampaignCommandRow {
  readonly commandId: string;
  readonly deviceId: string;
  readonly campaignId: string;
  readonly at: string;
}

export interface DeviceSelection {
  readonly deviceIds?: readonly string[];
  readonly model?: string | null;
  readonly tags?: readonly string[];
  readonly region?: string | null;
  readonly firmwareVersion?: string | null;
  readonly status?: readonly string[];
}

interface Row {
  device_id: string;
  facts: DeviceFacts | null;
  battery_percent: number | null;
  update_state: number | null;
  update_state_at: Date | null;
  update_result: number | null;
  update_result_at: Date | null;
  reported_version: string | null;
  reported_version_at: Date | null;
}

const reported = <T>(value: T | null, at: Date | null) =>
  value === null || at === null ? null : { value, at: at.toISOString() };

/** `fuota_devices` and `fuota_commands`: the orchestrator's own view of devices and of its commands. */
export class FuotaDeviceStore {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Serialised: replicas starting together must not race on CREATE ... IF NOT EXISTS.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', ['fuota-device-schema']);
      await client.query(SCHEMA);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1))', ['fuota-device-schema'])
        .catch(() => undefined);
      client.release();
    }
  }

  async facts(deviceIds: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const { rows } = await this.pool.query<{ device_id: string; facts: DeviceFacts }>(
      'SELECT device_id, facts FROM fuota_devices WHERE device_id = ANY($1::text[]) AND facts IS NOT NULL',
      [deviceIds],
    );
    return new Map(rows.map((r) => [r.device_id, r.facts]));
  }

  /** Folded device facts; a fact at or below the stored revision is a redelivery. */
  async applyFacts(facts: readonly DeviceFacts[]): Promise<void> {
    if (facts.length === 0) return;
    await this.pool.query(
      `INSERT INTO fuota_devices AS d (device_id, revision, facts, status, model, hardware_revision,
         firmware_version, tags, region, kind, dev_eui)
       SELECT f->>'deviceId', (f->>'revision')::bigint, f, f->>'status', f->>'model',
         f->'attributes'->>'hardwareRevision', f->>'firmwareVersion',
         ARRAY(SELECT jsonb_array_elements_text(f->'tags')), f->>'region', f->>'kind', lower(f->>'devEui')
       FROM jsonb_array_elements($1::jsonb) AS f
       ON CONFLICT (device_id) DO UPDATE SET revision = EXCLUDED.revision, facts = EXCLUDED.facts,
         status = EXCLUDED.status, model = EXCLUDED.model, hardware_revision = EXCLUDED.hardware_revision,
         firmware_version = EXCLUDED.firmware_version, tags = EXCLUDED.tags, region = EXCLUDED.region,
         kind = EXCLUDED.kind, dev_eui = EXCLUDED.dev_eui
       WHERE d.revision < EXCLUDED.revision`,
      [JSON.stringify(facts)],
    );
  }

  /** Latest reports per device; a report older than the stored one does not overwrite it. */
  async applyReports(reports: readonly DeviceReport[]): Promise<void> {
    if (reports.length === 0) return;
    await this.pool.query(
      `INSERT INTO fuota_devices AS d (device_id, battery_percent, update_state, update_state_at,
         update_result, update_result_at, reported_version, reported_version_at, last_seen_at)
       SELECT r.device_id, r.battery, r.state, CASE WHEN r.state IS NULL THEN NULL ELSE r.at END,
         r.result, CASE WHEN r.result IS NULL THEN NULL ELSE r.at END,
         r.version, CASE WHEN r.version IS NULL THEN NULL ELSE r.at END, r.at
       FROM jsonb_to_recordset($1::jsonb) AS r(device_id text, at timestamptz, battery real, state int,
         result int, version text)
       ON CONFLICT (device_id) DO UPDATE SET
         battery_percent = COALESCE(EXCLUDED.battery_percent, d.battery_percent),
         update_state = CASE WHEN EXCLUDED.update_state IS NOT NULL AND EXCLUDED.update_state_at >= COALESCE(d.update_state_at, '-infinity')
           THEN EXCLUDED.update_state ELSE d.update_state END,
         update_state_at = GREATEST(d.update_state_at, EXCLUDED.update_state_at),
         update_result = CASE WHEN EXCLUDED.update_result IS NOT NULL AND EXCLUDED.update_result_at >= COALESCE(d.update_result_at, '-infinity')
           THEN EXCLUDED.update_result ELSE d.update_result END,
         update_result_at = GREATEST(d.update_result_at, EXCLUDED.update_result_at),
         reported_version = CASE WHEN EXCLUDED.reported_version IS NOT NULL AND EXCLUDED.reported_version_at >= COALESCE(d.reported_version_at, '-infinity')
           THEN EXCLUDED.reported_version ELSE d.reported_version END,
         reported_version_at = GREATEST(d.reported_version_at, EXCLUDED.reported_version_at),
         last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at)`,
      [
        JSON.stringify(
          reports.map((r) => ({
            device_id: r.deviceId,
            at: r.at,
            battery: r.batteryPercent,
            state: r.updateState,
            result: r.updateResult,
            version: r.firmwareVersion,
          })),
        ),
      ],
    );
  }

  async devices(deviceIds: readonly string[]): Promise<Map<string, DeviceRow>> {
    if (deviceIds.length === 0) return new Map();
    const { rows } = await this.pool.query<Row>(
      `SELECT device_id, facts, battery_percent, update_state, update_state_at, update_result,
         update_result_at, reported_version, reported_version_at
       FROM fuota_devices WHERE device_id = ANY($1::text[])`,
      [deviceIds],
    );
    return new Map(
      rows.map((r) => [
        r.device_id,
        {
          deviceId: r.device_id,
          facts: r.facts,
          batteryPercent: r.battery_percent,
          updateState: reported(r.update_state, r.update_state_at),
          updateResult: reported(r.update_result, r.update_result_at),
          reportedVersion: reported(r.reported_version, r.reported_version_at),
        },
      ]),
    );
  }

  /** The facts of the devices named by id or DevEUI (any case), keyed by the name given. */
  async findByIdOrDevEui(refs: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const euis = refs.filter((r) => /^[0-9a-fA-F]{16}$/.test(r)).map((r) => r.toLowerCase());
    const { rows } = await this.pool.query<{ device_id: string; dev_eui: string | null; facts: DeviceFacts }>(
      `SELECT device_id, dev_eui, facts FROM fuota_devices
       WHERE facts IS NOT NULL AND (device_id = ANY($1::text[]) OR dev_eui = ANY($2::text[]))`,
      [refs, euis],
    );
    const byId = new Map(rows.map((r) => [r.device_id, r.facts]));
    const byEui = new Map(rows.filter((r) => r.dev_eui !== null).map((r) => [r.dev_eui!, r.facts]));
    const found = new Map<string, DeviceFacts>();
    for (const ref of refs) {
      const facts = byId.get(ref) ?? byEui.get(ref.toLowerCase());
      if (facts) found.set(ref, facts);
    }
    return found;
  }

  /** Devices matching a campaign's selection, in id order (so waves are reproducible). */
  async select(selection: DeviceSelection, limit: number): Promise<DeviceFacts[]> {
    const { rows } = await this.pool.query<{ facts: DeviceFacts }>(
      `SELECT facts FROM fuota_devices
        WHERE facts IS NOT NULL
          AND ($1::text[] IS NULL OR device_id = ANY($1::text[]))
          AND ($2::text IS NULL OR model = $2) AND ($3::text[] IS NULL OR tags @> $3::text[])
          AND ($4::text IS NULL OR region = $4) AND ($5::text IS NULL OR firmware_version = $5)
          AND ($6::text[] IS NULL OR status = ANY($6::text[]))
        ORDER BY device_id LIMIT $7`,
      [
        selection.deviceIds ?? null,
        selection.model ?? null,
        selection.tags && selection.tags.length > 0 ? selection.tags : null,
        selection.region ?? null,
        selection.firmwareVersion ?? null,
        selection.status ?? null,
        limit,
      ],
    );
    return rows.map((r) => r.facts);
  }

  async recordCommands(
    requested: readonly CampaignCommandRow[],
    outcomes: readonly CommandOutcomeRow[],
  ): Promise<void> {
    if (requested.length > 0) {
      await this.pool.query(
        `INSERT INTO fuota_commands (command_id, device_id, campaign_id, status, gate, reason, at)
         SELECT c.command_id, c.device_id, c.campaign_id, 'requested', NULL, NULL, c.at
         FROM jsonb_to_recordset($1::jsonb) AS c(command_id text, device_id text, campaign_id text, at timestamptz)
         ON CONFLICT (command_id) DO NOTHING`,
        [
          JSON.stringify(
            requested.map((r) => ({
              command_id: r.commandId,
              device_id: r.deviceId,
              campaign_id: r.campaignId,
              at: r.at,
            })),
          ),
        ],
      );
    }
    if (outcomes.length > 0) {
      await this.pool.query(
        `UPDATE fuota_commands AS c SET status = o.status, gate = o.gate, reason = o.reason, at = o.at
         FROM jsonb_to_recordset($1::jsonb) AS o(command_id text, status text, gate text, reason text, at timestamptz)
         WHERE c.command_id = o.command_id`,
        [
          JSON.stringify(
            outcomes.map((o) => ({
              command_id: o.commandId,
              status: o.status,
              gate: o.gate,
              reason: o.reason,
              at: o.at,
            })),
          ),
        ],
      );
    }
  }

  async commandOutcomes(commandIds: readonly string[]): Promise<Map<string, CommandOutcomeRow>> {
    if (commandIds.length === 0) return new Map();
    const { rows } = await this.pool.query<{
      command_id: string;
      device_id: string;
      status: string;
      gate: string | null;
      reason: string | null;
      at: Date;
    }>(
      `SELECT command_id, device_id, status, gate, reason, at FROM fuota_commands
       WHERE command_id = ANY($1::text[]) AND status <> 'requested'`,
      [commandIds],
    );
    return new Map(
      rows.map((r) => [
        r.command_id,
        {
          commandId: r.command_id,
          deviceId: r.device_id,
          status: r.status,
          gate: r.gate,
          reason: r.reason,
          at: r.at.toISOString(),
        },
      ]),
    );
  }
}
