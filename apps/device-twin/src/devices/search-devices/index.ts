import { DeviceSearch } from './device-search';
import { SearchDevicesHttpController } from './search-devices.http.controller';

export * from './device-query';
export * from './device-search';
export * from './group-resolver';
export { SearchDevicesHttpController } from './search-devices.http.controller';

/** Register before `GetDeviceHttpController` so that `GET /devices` is matched here. */
export const SEARCH_CONTROLLERS = [SearchDevicesHttpController];

/**
 * `DeviceSearch` reads `PG_POOL`; optional: `SEARCH_TWIN_TABLES` (default `twinTables()`) and
 * `GROUP_RESOLVER` (provided by `GROUP_PROVIDERS`, needed for `?group=`).
 */
export const SEARCH_PROVIDERS = [DeviceSearch];
