import type { Pool } from 'pg';
import type { JobDefinition } from '../job';

export interface JobRow {
  readonly definition: JobDefinition;
  readonly cancelled: boolean;
  readonly released: number;
  readonly createdAt: string;
}

export interface JobTarget {
  readonly seq: number;
  readonly deviceId: string;
  readonly commandId: string | null;
}

/** `dispatch_jobs` and `dispatch_job_targets`: jobs, their targets in order, and how far each got. */
export class JobStore {
  constructor(private readonly pool: Pool) {}

  /** Records a job and its targets (idempotent: a job recorded before keeps its progress). */
  async create(definition: JobDefinition, targets: readonly string[], now: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `INSERT INTO dispatch_jobs (job_id, version, status, created_at, start_at, expires_at, rate_per_minute,
           target_count, definition) VALUES ($1, 1, 'created', $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          definition.jobId,
          now,
          definition.startAt,
          definition.expiresAt,
          definition.ratePerMinute,
          definition.targetCount,
          JSON.stringify(definition),
        ],
      );
      if (rowCount === 1) {
        await client.query(
          `INSERT INTO dispatch_job_targets (job_id, seq, device_id)
           SELECT $1, s.seq - 1, s.device_id FROM unnest($2::text[]) WITH ORDINALITY AS s(device_id, seq)`,
          [definition.jobId, targets],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async find(jobId: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<{
      definition: JobDefinition;
      status: string;
      released_count: number;
      created_at: Date;
    }>('SELECT definition, status, released_count, created_at FROM dispatch_jobs WHERE job_id = $1', [jobId]);
    const r = rows[0];
    return (
      r && {
        definition: r.definition,
        cancelled: r.status === 'cancelled',
        released: r.released_count,
        createdAt: r.created_at.toISOString(),
      }
    );
  }

  async markCancelled(jobId: string): Promise<void> {
    await this.pool.query(`UPDATE dispatch_jobs SET status = 'cancelled' WHERE job_id = $1`, [jobId]);
  }

  /** Jobs with devices still to release whose start has come and whose expiry has not. */
  async releasing(now: string): Promise<JobRow[]> {
    const { rows } = await this.pool.query<{
      definition: JobDefinition;
      released_count: number;
      created_at: Date;
    }>(
      `SELECT definition, released_count, created_at FROM dispatch_jobs
        WHERE status = 'created' AND released_count < target_count AND start_at <= $1 AND expires_at > $1`,
      [now],
    );
    return rows.map((r) => ({
      definition: r.definition,
      cancelled: false,
      released: r.released_count,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async nextTargets(jobId: string, fromSeq: number, count: number): Promise<JobTarget[]> {
    const { rows } = await this.pool.query<{ seq: number; device_id: string; command_id: string | null }>(
      `SELECT seq, device_id, command_id FROM dispatch_job_targets WHERE job_id = $1 AND seq >= $2
        ORDER BY seq LIMIT $3`,
      [jobId, fromSeq, count],
    );
    return rows.map((r) => ({ seq: r.seq, deviceId: r.device_id, commandId: r.command_id }));
  }

  /** Records the commands made for targets and moves the job's release mark past them. */
  async released(jobId: string, targets: readonly { seq: number; commandId: string }[]): Promise<void> {
    if (targets.length === 0) return;
    await this.pool.query(
      `WITH t AS (SELECT * FROM unnest($2::int[], $3::uuid[]) AS t(seq, command_id))
       UPDATE dispatch_job_targets j SET command_id = t.command_id FROM t WHERE j.job_id = $1 AND j.seq = t.seq`,
      [jobId, targets.map((t) => t.seq), targets.map((t) => t.commandId)],
    );
    await this.pool.query(
      'UPDATE dispatch_jobs SET released_count = GREATEST(released_count, $2) WHERE job_id = $1',
      [jobId, Math.max(...targets.map((t) => t.seq)) + 1],
    );
  }

  /** Commands of the job by status. */
  async counts(jobId: string): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM dispatch_commands WHERE job_id = $1 GROUP BY status',
      [jobId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Per-device outcome, in target order; `pending` for devices not released yet. */
  async outcomes(
    jobId: string,
    afterSeq: number,
    limit: number,
    status: string | null,
  ): Promise<
    {
      seq: number;
      deviceId: string;
      commandId: string | null;
      status: string;
      reason: string | null;
      code: string | null;
    }[]
  > {
    const { rows } = await this.pool.query<{
      seq: number;
      device_id: string;
      command_id: string | null;
      status: string;
      reason: string | null;
      code: string | null;
    }>(
      `SELECT t.seq, t.device_id, t.command_id, COALESCE(c.status, 'pending') AS status,
         c.state->'outcome'->>'reason' AS reason, c.state->'outcome'->>'code' AS code
       FROM dispatch_job_targets t LEFT JOIN dispatch_commands c ON c.command_id = t.command_id
       WHERE t.job_id = $1 AND t.seq > $2 AND ($4::text IS NULL OR COALESCE(c.status, 'pending') = $4)
       ORDER BY t.seq LIMIT $3`,
      [jobId, afterSeq, limit, status],
    );
    return rows.map((r) => ({
      seq: r.seq,
      deviceId: r.device_id,
      commandId: r.command_id,
      status: r.status,
      reason: r.reason,
      code: r.code,
    }));
  }

  /** Open commands of a job (to cancel with it). */
  async openCommandIds(jobId: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ command_id: string }>(
      `SELECT command_id FROM dispatch_commands WHERE job_id = $1 AND status IN ('requested', 'queued', 'sent', 'delivered') LIMIT $2`,
      [jobId, limit],
    );
    return rows.map((r) => r.command_id);
  }
}
