import { ValidationError, type Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody, parseInput } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import {
  Body,
  Controller,
  Delete,
  Headers,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from '../../config';
import { assertGroupName, type GroupDefinition } from '../group';
import { GROUP_STORE, GroupProjection } from '../group-projection/group-projection';
import type { GroupView, PostgresGroupStore } from '../group-projection/postgres-group-store';
import { GroupCommandHandler } from './group-command.handler';
import {
  defineGroupRequest,
  deleteGroupRequest,
  redefineGroupRequest,
  type DefineGroupRequest,
  type RedefineGroupRequest,
} from './group.request';

type RequestHeaders = Record<string, string | undefined>;
type Accepted = { name: string; version: number; status: 'accepted' };

/** The group version named by an `If-Match` header (`"3"`, `W/"3"` or `3`); undefined when absent or `*`. */
export function parseGroupIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) throw new ValidationError(`If-Match: expected a group version such as "3", got ${header}`);
  return Number(match[1]);
}

const definitionOf = (name: string, request: DefineGroupRequest | RedefineGroupRequest): GroupDefinition =>
  request.kind === 'static'
    ? { name, kind: 'static', tag: request.tag, query: null, description: request.description }
    : { name, kind: 'dynamic', tag: null, query: request.query, description: request.description };

/**
 * Defining, redefining and deleting device groups: audited operator changes (each is an event in
 * the group's stream, with actor, reason and correlation id). Answers with the group once the
 * projection shows the change, or 202 when it lags (as device writes do).
 */
@Controller('groups')
export class ManageGroupsHttpController {
  private readonly waitMs: number;

  constructor(
    private readonly commands: GroupCommandHandler,
    private readonly projection: GroupProjection,
    @Inject(GROUP_STORE) private readonly groups: PostgresGroupStore,
    @Optional() @Inject(DEVICE_TWIN_CONFIG) config?: DeviceTwinConfig,
  ) {
    this.waitMs = config?.READ_YOUR_WRITES_MS ?? 3_000;
  }

  /** 201 with the group; 409 when a group of that name exists. */
  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async define(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ): Promise<GroupView | Accepted> {
    const request = parseBody(defineGroupRequest, body);
    const outcome = await this.commands.execute(
      { type: 'DefineGroup', definition: definitionOf(request.name, request) },
      commandMetadata({ actor, reason: request.reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    response.location(`/groups/${request.name}`);
    return this.groupAt(response, request.name, outcome.version);
  }

  /** Replaces the definition (kind, tag or query, description); `If-Match: "<version>"` guards it. */
  @Put(':name')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async redefine(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ): Promise<GroupView | Accepted> {
    assertGroupName(name);
    const request = parseBody(redefineGroupRequest, body);
    if (request.name !== undefined && request.name !== name) {
      throw new ValidationError(
        `name: the body names ${request.name}, the path ${name}; rename is not supported`,
        {
          issues: [{ path: 'name', message: 'must match the name in the path' }],
        },
      );
    }
    const outcome = await this.commands.execute(
      {
        type: 'RedefineGroup',
        definition: definitionOf(name, request),
        expectedVersion: parseGroupIfMatch(headers['if-match']),
      },
      commandMetadata({ actor, reason: request.reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    return this.groupAt(response, name, outcome.version);
  }

  /** 204; the reason (body `{"reason": …}` or `?reason=`) is required. */
  @Delete(':name')
  @HttpCode(204)
  @Roles('admin', 'operator')
  async delete(
    @Param('name') name: string,
    @Body() body: unknown,
    @Query('reason') reasonParameter: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Accepted | undefined> {
    assertGroupName(name);
    const fromBody = body !== null && typeof body === 'object' ? body : {};
    const { reason } = parseInput(
      deleteGroupRequest,
      reasonParameter === undefined ? fromBody : { reason: reasonParameter, ...fromBody },
      'request',
    );
    const outcome = await this.commands.execute(
      { type: 'DeleteGroup', name, expectedVersion: parseGroupIfMatch(headers['if-match']) },
      commandMetadata({ actor, reason, correlationId: headers['x-correlation-id'] }),
    );
    if (await this.projection.waitFor(name, outcome.version, this.waitMs)) return undefined;
    response.status(202);
    return { name, version: outcome.version, status: 'accepted' };
  }

  private async groupAt(response: Response, name: string, version: number): Promise<GroupView | Accepted> {
    response.setHeader('ETag', `"${version}"`);
    if (await this.projection.waitFor(name, version, this.waitMs)) {
      const group = await this.groups.find(name);
      if (group && group.version >= version) return group;
    }
    response.status(202);
    return { name, version, status: 'accepted' };
  }
}
