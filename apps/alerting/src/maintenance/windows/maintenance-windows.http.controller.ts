import { randomUUID } from 'node:crypto';
import { CurrentActor, Roles } from '@fleet/auth';
import { NotFoundError, type Actor } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { PG_POOL } from '@fleet/platform';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { Pool } from 'pg';
import { z } from 'zod';
import { scopeSchema } from '../../rules/scope';
import { TABLES } from '../../storage/postgres/tables';
import { compileWindow, isoDurationMinutes } from '../maintenance-window';
import { WindowRegistry, type WindowView } from './window-registry';

const createWindow = z
  .object({
    scope: scopeSchema,
    cron: z.string().trim().min(9).max(100),
    duration: z.string().trim().max(20),
    timezone: z.string().trim().min(1).max(64).default('UTC'),
    ruleIds: z.array(z.string().min(1).max(128)).min(1).nullable().default(null),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .transform((w, ctx) => {
    const durationMinutes = isoDurationMinutes(w.duration);
    if (durationMinutes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: 'an ISO-8601 duration such as PT2H or P1D',
      });
      return z.NEVER;
    }
    const compiled = compileWindow({ cron: w.cron, durationMinutes, timezone: w.timezone });
    if ('problem' in compiled) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: compiled.problem });
      return z.NEVER;
    }
    return { ...w, durationMinutes };
  });

const deleteBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

/**
 * Maintenance windows per scope (fleet, group, query): while one is open, the rules it names (all
 * by default) raise nothing for its devices. A single device can also carry its own window in its
 * `maintenanceWindow` attribute (docs/alerting.md).
 */
@Controller('maintenance-windows')
export class MaintenanceWindowsHttpController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly registry: WindowRegistry,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async create(@Body() body: unknown, @CurrentActor() actor: Actor): Promise<WindowView> {
    const w = parseBody(createWindow, body);
    const windowId = randomUUID();
    await this.pool.query(
      `insert into ${TABLES.windows} (window_id, scope, cron, duration_minutes, timezone, rule_ids, reason, created_by)
       values ($1, $2::jsonb, $3, $4, $5, $6, $7, $8)`,
      [
        windowId,
        JSON.stringify(w.scope),
        w.cron,
        w.durationMinutes,
        w.timezone,
        w.ruleIds,
        w.reason ?? null,
        actor.id,
      ],
    );
    await this.registry.refresh();
    return this.registry.list().find((v) => v.windowId === windowId)!;
  }

  @Get()
  @Roles('admin', 'operator', 'support', 'viewer')
  list(): { items: readonly WindowView[] } {
    return { items: this.registry.list() };
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async delete(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    parseBody(deleteBody, body ?? {});
    const result = await this.pool.query(
      `update ${TABLES.windows} set deleted_at = now(), deleted_by = $2 where window_id::text = $1 and deleted_at is null`,
      [id, actor.id],
    );
    if ((result.rowCount ?? 0) === 0)
      throw new NotFoundError(`maintenance window ${id} not found`, { windowId: id });
    await this.registry.refresh();
    return { windowId: id, deleted: true };
  }
}
