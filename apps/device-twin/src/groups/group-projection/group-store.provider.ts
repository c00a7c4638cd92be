import { PG_POOL } from '@fleet/platform';
import type { FactoryProvider } from '@nestjs/common';
import type { Pool } from 'pg';
import { GROUP_STORE } from './group-projection';
import { groupTables, type GroupTables } from './group-tables';
import { PostgresGroupStore } from './postgres-group-store';

/** Tables of the groups projection; defaults to `groupTables()` (schema `device_twin`). */
export const GROUP_TABLES = Symbol('GROUP_TABLES');

export const groupStoreProvider: FactoryProvider<PostgresGroupStore> = {
  provide: GROUP_STORE,
  inject: [PG_POOL, { token: GROUP_TABLES, optional: true }],
  useFactory: (pool: Pool, tables: GroupTables | undefined) =>
    new PostgresGroupStore(pool, tables ?? groupTables()),
};
