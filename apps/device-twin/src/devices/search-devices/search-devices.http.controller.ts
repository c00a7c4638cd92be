import { Roles } from '@fleet/auth';
import { parseInput } from '@fleet/observability';
import { Controller, Get, Query } from '@nestjs/common';
import { deviceCountsQuery, searchDevicesQuery } from './device-query';
import { DeviceSearch, type DeviceCounts, type DeviceSearchResult } from './device-search';

/** Query strings as Express parses them: repeated keys become arrays. */
export type QueryString = Record<string, unknown>;

/** Fleet search (docs/search.md). Register before `GET /devices/:id`. */
@Controller()
export class SearchDevicesHttpController {
  constructor(private readonly devices: DeviceSearch) {}

  /** `GET /devices?firmware=1.2.0&tag=water&status=active&sort=lastSeen&limit=100&cursor=…` */
  @Get('devices')
  @Roles('admin', 'operator', 'support', 'viewer')
  search(@Query() query: QueryString): Promise<DeviceSearchResult> {
    return this.devices.search(parseInput(searchDevicesQuery, { ...query }, 'query string'));
  }

  /** `GET /device-counts?by=firmware&model=WM-200` */
  @Get('device-counts')
  @Roles('admin', 'operator', 'support', 'viewer')
  counts(@Query() query: QueryString): Promise<DeviceCounts> {
    const parsed = parseInput(deviceCountsQuery, { ...query }, 'query string');
    return this.devices.counts(parsed, parsed.by);
  }
}
