import { GROUP_RESOLVER } from '../devices/search-devices/group-resolver';
import { GROUP_STORE, GroupProjection } from './group-projection/group-projection';
import { groupStoreProvider } from './group-projection/group-store.provider';
import { GroupCommandHandler } from './manage-groups/group-command.handler';
import { ManageGroupsHttpController } from './manage-groups/manage-groups.http.controller';
import { QueryGroupsHttpController } from './query-groups/query-groups.http.controller';

export * from './group';
export { GROUP_STORE, GroupProjection } from './group-projection/group-projection';
export { GROUP_TABLES } from './group-projection/group-store.provider';
export { PostgresGroupStore, type GroupView } from './group-projection/postgres-group-store';
export { groupTables, type GroupTables } from './group-projection/group-tables';
export { GroupCommandHandler } from './manage-groups/group-command.handler';

export const GROUP_CONTROLLERS = [ManageGroupsHttpController, QueryGroupsHttpController];

/**
 * The groups projection (table `device_twin.groups`, subscription `device-twin-groups`), the
 * command handler, and `GROUP_RESOLVER` for search's `?group=`. Needs `PG_POOL`, `EVENT_STORE` and
 * `DeviceSearch` (from `SEARCH_PROVIDERS`); optional: `GROUP_TABLES`, `DEVICE_TWIN_CONFIG`.
 */
export const GROUP_PROVIDERS = [
  groupStoreProvider,
  { provide: GROUP_RESOLVER, useExisting: GROUP_STORE },
  GroupProjection,
  GroupCommandHandler,
];
