/** Names and DDL of the groups projection (beside the twin tables, schema `device_twin`). */
export interface GroupTables {
  readonly schema: string;
  readonly groups: string;
}

export function groupTables(schema = 'device_twin'): GroupTables {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid group table schema: ${schema}`);
  return { schema, groups: `${schema}.groups` };
}

/**
 * One row per group ever defined; a deleted group keeps its row (`deleted`) so that its version
 * still guards against redelivered events.
 */
export function groupSchemaSql(t: GroupTables): string {
  return `
-- Same lock as the twin tables: both create the device_twin schema, concurrently at start-up.
select pg_advisory_xact_lock(hashtext('fleet-device-twin-ddl'));
create schema if not exists ${t.schema};
create table if not exists ${t.groups} (
  name text primary key,
  kind text not null,
  tag text,
  query jsonb,
  description text not null,
  version bigint not null,
  deleted boolean not null default false,
  defined_at timestamptz not null,
  defined_by text not null,
  updated_at timestamptz not null,
  updated_by text not null
);`;
}
