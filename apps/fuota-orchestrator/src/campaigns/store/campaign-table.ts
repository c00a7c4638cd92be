import type { Pool } from 'pg';
import type { CampaignState, DeviceStatus } from '../campaign-state';
import type { CampaignDefinition } from '../campaign-events';
import { viewOf, type CampaignView } from '../campaign-view';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fuota_campaigns (
  campaign_id text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL,
  artifact_id text NOT NULL,
  artifact_version text NOT NULL,
  created_by text NOT NULL,
  wave int NOT NULL,
  waves int NOT NULL,
  pause_reason text,
  counts jsonb NOT NULL,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS fuota_campaigns_status ON fuota_campaigns (status);
-- What GET /campaigns/{id} answers, so reading a campaign does not fold its whole stream.
-- The definition (which can list 100,000 device ids) never changes: written once, not with every view.
ALTER TABLE fuota_campaigns ADD COLUMN IF NOT EXISTS view jsonb;
ALTER TABLE fuota_campaigns ADD COLUMN IF NOT EXISTS definition jsonb;
ALTER TABLE fuota_campaigns ADD COLUMN IF NOT EXISTS mode text;
`;

export interface CampaignSummary {
  readonly campaignId: string;
  readonly name: string;
  readonly status: string;
  readonly artifactId: string;
  readonly artifactVersion: string;
  readonly createdBy: string;
  readonly wave: number;
  readonly waves: number;
  readonly pauseReason: string | null;
  readonly counts: Record<DeviceStatus, number>;
  readonly updatedAt: string;
}

/** `fuota_campaigns`: one row per campaign, for listing and for the runner to find active ones. */
export class CampaignTable {
  private readonly definitionsWritten = new Set<string>();

  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', ['fuota-campaign-schema']);
      await client.query(SCHEMA);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1))', ['fuota-campaign-schema'])
        .catch(() => undefined);
      client.release();
    }
  }

  /** Saves the summary and the view; an older version never overwrites a newer one. */
  async save(state: CampaignState, counts: Record<DeviceStatus, number>): Promise<void> {
    const d = state.definition;
    if (!d) return;
    await this.pool.query(
      `INSERT INTO fuota_campaigns AS c (campaign_id, name, status, artifact_id, artifact_version, created_by,
         wave, waves, pause_reason, counts, version, view, mode, definition, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
       ON CONFLICT (campaign_id) DO UPDATE SET status = EXCLUDED.status, wave = EXCLUDED.wave,
         waves = EXCLUDED.waves, pause_reason = EXCLUDED.pause_reason, counts = EXCLUDED.counts,
         version = EXCLUDED.version, view = EXCLUDED.view, mode = EXCLUDED.mode,
         definition = coalesce(c.definition, EXCLUDED.definition), updated_at = now()
       WHERE c.version < EXCLUDED.version OR c.view IS NULL`,
      [
        d.campaignId,
        d.name,
        state.status,
        d.artifact.artifactId,
        d.artifact.version,
        d.createdBy,
        state.wave,
        state.waves,
        state.pauseReason,
        JSON.stringify(counts),
        state.version,
        JSON.stringify({ ...viewOf(state), definition: undefined }),
        d.mode,
        // Sent once per process and campaign: the row keeps the first one it got.
        this.definitionsWritten.has(d.campaignId) ? null : JSON.stringify(d),
      ],
    );
    this.definitionsWritten.add(d.campaignId);
  }

  /** The campaign's view as last saved, or undefined when there is no row or it predates views. */
  async view(campaignId: string): Promise<CampaignView | undefined> {
    const { rows } = await this.pool.query<{
      view: CampaignView | null;
      definition: CampaignDefinition | null;
    }>('SELECT view, definition FROM fuota_campaigns WHERE campaign_id = $1', [campaignId]);
    const row = rows[0];
    return row?.view && row.definition ? { ...row.view, definition: row.definition } : undefined;
  }

  /** Active continuous campaigns (rows written before `mode` existed are included, to be checked). */
  async activeContinuous(): Promise<string[]> {
    const { rows } = await this.pool.query<{ campaign_id: string }>(
      `SELECT campaign_id FROM fuota_campaigns
        WHERE status IN ('approved', 'running', 'paused') AND (mode IS NULL OR mode = 'continuous')
        ORDER BY campaign_id`,
    );
    return rows.map((r) => r.campaign_id);
  }

  async active(): Promise<string[]> {
    const { rows } = await this.pool.query<{ campaign_id: string }>(
      `SELECT campaign_id FROM fuota_campaigns WHERE status IN ('approved', 'running', 'paused') ORDER BY campaign_id`,
    );
    return rows.map((r) => r.campaign_id);
  }

  async list(status: string | undefined, limit: number): Promise<CampaignSummary[]> {
    const { rows } = await this.pool.query<{
      campaign_id: string;
      name: string;
      status: string;
      artifact_id: string;
      artifact_version: string;
      created_by: string;
      wave: number;
      waves: number;
      pause_reason: string | null;
      counts: Record<DeviceStatus, number>;
      updated_at: Date;
    }>(
      `SELECT * FROM fuota_campaigns WHERE ($1::text IS NULL OR status = $1) ORDER BY updated_at DESC LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map((r) => ({
      campaignId: r.campaign_id,
      name: r.name,
      status: r.status,
      artifactId: r.artifact_id,
      artifactVersion: r.artifact_version,
      createdBy: r.created_by,
      wave: r.wave,
      waves: r.waves,
      pauseReason: r.pause_reason,
      counts: r.counts,
      updatedAt: r.updated_at.toISOString(),
    }));
  }
}
