import type { Pool, PoolClient } from 'pg';
import type { ArtifactStatus } from '../artifact';
import type { VersionConflict } from '../artifact.decide';
import type { ArtifactView } from '../artifact-view';

type Queryable = Pool | PoolClient;

/** Serialises the DDL between replicas starting together. */
const DDL_LOCK = "hashtext('fleet-fuota-artifacts-ddl')";

const SCHEMA_SQL = `
select pg_advisory_xact_lock(${DDL_LOCK});
create table if not exists fuota_artifacts (
  artifact_id uuid primary key,
  status text not null,
  version text not null,
  models text[] not null,
  created_at timestamptz not null,
  stream_version int not null,
  view jsonb not null
);
create index if not exists fuota_artifacts_models on fuota_artifacts using gin (models);
create index if not exists fuota_artifacts_version on fuota_artifacts (version);`;

export interface ArtifactFilter {
  readonly model?: string | undefined;
  readonly version?: string | undefined;
  readonly status?: ArtifactStatus | undefined;
  readonly limit: number;
}

/**
 * The `fuota_artifacts` read model: one row per artifact holding its view, with the columns
 * listing filters on. A row only moves to a higher stream version, so the write-through after an
 * append and the catch-up projection write without coordinating; dropping the table and the
 * projection's checkpoint rebuilds it from the `artifact-` streams.
 */
export class ArtifactTable {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(SCHEMA_SQL);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async save(view: ArtifactView, db: Queryable = this.pool): Promise<void> {
    await db.query(
      `insert into fuota_artifacts as a (artifact_id, status, version, models, created_at, stream_version, view)
       values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (artifact_id) do update set status = excluded.status, stream_version = excluded.stream_version,
         view = excluded.view
       where a.stream_version < excluded.stream_version`,
      [
        view.artifactId,
        view.status,
        view.version,
        view.models,
        view.createdAt,
        view.streamVersion,
        JSON.stringify(view),
      ],
    );
  }

  async find(artifactId: string): Promise<ArtifactView | undefined> {
    const { rows } = await this.pool.query<{ view: ArtifactView }>(
      'select view from fuota_artifacts where artifact_id = $1',
      [artifactId],
    );
    return rows[0]?.view;
  }

  /** Newest first. */
  async list(filter: ArtifactFilter): Promise<ArtifactView[]> {
    const { rows } = await this.pool.query<{ view: ArtifactView }>(
      `select view from fuota_artifacts
        where ($1::text is null or models @> array[$1::text])
          and ($2::text is null or version = $2)
          and ($3::text is null or status = $3)
        order by created_at desc, artifact_id limit $4`,
      [filter.model ?? null, filter.version ?? null, filter.status ?? null, filter.limit],
    );
    return rows.map((r) => r.view);
  }

  /** A published artifact, other than `artifactId`, of `version` for one of `models`. */
  async publishedConflict(
    version: string,
    models: readonly string[],
    artifactId: string,
    db: Queryable = this.pool,
  ): Promise<VersionConflict | null> {
    const { rows } = await db.query<{ artifact_id: string; models: string[] }>(
      `select artifact_id, models from fuota_artifacts
        where status = 'published' and version = $1 and models && $2::text[] and artifact_id <> $3
        order by created_at limit 1`,
      [version, models, artifactId],
    );
    const row = rows[0];
    return row ? { artifactId: row.artifact_id, models: row.models } : null;
  }

  /**
   * Runs `work` holding a transaction-scoped lock on `version`, so that two artifacts of one
   * version cannot both pass the conflict check and publish (replicas included).
   */
  async withVersionLock<T>(version: string, work: (db: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query("select pg_advisory_xact_lock(hashtext('fuota-artifact-version:' || $1))", [
        version,
      ]);
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
