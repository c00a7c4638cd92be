import type { RecordedEvent } from '@fleet/event-store';
import type { Pool } from 'pg';
import type { GroupResolver } from '../../devices/search-devices/group-resolver';
import type { GroupDefinition, GroupEvent, GroupKind } from '../group';
import { groupSchemaSql, groupTables, type GroupTables } from './group-tables';

/** A group as the API shows it. */
export interface GroupView {
  readonly name: string;
  readonly kind: GroupKind;
  readonly tag: string | null;
  readonly query: Readonly<Record<string, unknown>> | null;
  readonly description: string;
  /** Number of events in the group's stream: the ETag for `If-Match`. */
  readonly version: number;
  readonly definedAt: string;
  readonly definedBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

interface GroupRow {
  name: string;
  kind: GroupKind;
  tag: string | null;
  query: Record<string, unknown> | null;
  description: string;
  version: string;
  defined_at: Date;
  defined_by: string;
  updated_at: Date;
  updated_by: string;
}

const COLUMNS =
  'name, kind, tag, query, description, version, defined_at, defined_by, updated_at, updated_by';

/**
 * The groups projection: one row per group, kept from the `group-` streams. Every write is
 * conditional on the row's version, so a redelivered event changes nothing.
 */
export class PostgresGroupStore implements GroupResolver {
  constructor(
    private readonly pool: Pool,
    readonly tables: GroupTables = groupTables(),
  ) {}

  async ensureSchema(): Promise<void> {
    await this.pool.query(groupSchemaSql(this.tables));
  }

  async apply(recorded: RecordedEvent): Promise<void> {
    if (!recorded.stream.startsWith('group-')) return;
    const event = recorded as unknown as GroupEvent;
    const version = Number(recorded.revision) + 1;
    const { occurredAt, actor } = recorded.metadata;
    switch (event.type) {
      case 'GroupDefined':
      case 'GroupRedefined': {
        const d: GroupDefinition = event.data;
        await this.pool.query(
          `insert into ${this.tables.groups} (${COLUMNS}, deleted)
           values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $7, $8, false)
           on conflict (name) do update set
             kind = excluded.kind, tag = excluded.tag, query = excluded.query,
             description = excluded.description, version = excluded.version, deleted = false,
             defined_at = case when $9 or ${this.tables.groups}.deleted then excluded.defined_at
               else ${this.tables.groups}.defined_at end,
             defined_by = case when $9 or ${this.tables.groups}.deleted then excluded.defined_by
               else ${this.tables.groups}.defined_by end,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by
           where ${this.tables.groups}.version < excluded.version`,
          [
            d.name,
            d.kind,
            d.tag ?? null,
            d.query === null || d.query === undefined ? null : JSON.stringify(d.query),
            d.description ?? '',
            version,
            occurredAt,
            actor.id,
            event.type === 'GroupDefined',
          ],
        );
        return;
      }
      case 'GroupDeleted':
        await this.pool.query(
          `update ${this.tables.groups} set deleted = true, version = $2, updated_at = $3, updated_by = $4
           where name = $1 and version < $2`,
          [event.data.name, version, occurredAt, actor.id],
        );
        return;
      default:
        // Event types added later are someone else's concern until this projection learns them.
        return;
    }
  }

  async find(name: string): Promise<GroupView | undefined> {
    const { rows } = await this.pool.query<GroupRow>(
      `select ${COLUMNS} from ${this.tables.groups} where name = $1 and not deleted`,
      [name],
    );
    return rows[0] && toView(rows[0]);
  }

  async list(): Promise<GroupView[]> {
    const { rows } = await this.pool.query<GroupRow>(
      `select ${COLUMNS} from ${this.tables.groups} where not deleted order by name`,
    );
    return rows.map(toView);
  }

  /** Version the projection has reached for a group, deleted or not; 0 when it knows nothing of it. */
  async version(name: string): Promise<number> {
    const { rows } = await this.pool.query<{ version: string }>(
      `select version from ${this.tables.groups} where name = $1`,
      [name],
    );
    return rows[0] ? Number(rows[0].version) : 0;
  }

  findGroup(name: string): Promise<GroupView | undefined> {
    return this.find(name);
  }
}

function toView(row: GroupRow): GroupView {
  return {
    name: row.name,
    kind: row.kind,
    tag: row.tag,
    query: row.query,
    description: row.description,
    version: Number(row.version),
    definedAt: row.defined_at.toISOString(),
    definedBy: row.defined_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}
