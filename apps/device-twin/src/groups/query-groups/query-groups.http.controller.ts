import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { parseInput } from '@fleet/observability';
import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { groupDevicesQuery } from '../../devices/search-devices/device-query';
import { DeviceSearch, type DeviceSearchResult } from '../../devices/search-devices/device-search';
import { GROUP_STORE } from '../group-projection/group-projection';
import type { GroupView, PostgresGroupStore } from '../group-projection/postgres-group-store';

/** Reading groups and their members (read model; see docs/search.md). */
@Controller('groups')
export class QueryGroupsHttpController {
  constructor(
    @Inject(GROUP_STORE) private readonly groups: PostgresGroupStore,
    private readonly devices: DeviceSearch,
  ) {}

  @Get()
  @Roles('admin', 'operator', 'support', 'viewer')
  async list(): Promise<{ items: GroupView[] }> {
    return { items: await this.groups.list() };
  }

  @Get(':name')
  @Roles('admin', 'operator', 'support', 'viewer')
  async get(@Param('name') name: string, @Res({ passthrough: true }) response: Response): Promise<GroupView> {
    const group = await this.groups.find(name);
    if (!group) throw new NotFoundError(`group ${name} not found`, { group: name });
    response.setHeader('ETag', `"${group.version}"`);
    return group;
  }

  /** The group's devices: the parameters and pages of `GET /devices` (without `group`). */
  @Get(':name/devices')
  @Roles('admin', 'operator', 'support', 'viewer')
  devicesOf(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
  ): Promise<DeviceSearchResult> {
    const parsed = parseInput(groupDevicesQuery, { ...query }, 'query string');
    return this.devices.search({ ...parsed, group: name });
  }
}
