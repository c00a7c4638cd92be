import { CurrentActor, Roles } from '@fleet/auth';
import { ValidationError, type Actor } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { operationBody, operationRequestOf } from '../../commands/command-request';
import { JobService, type JobView } from '../manage-jobs/job-service';

const deviceId = z.string().min(1).max(128);
const selector = z.union([
  z.object({ deviceIds: z.array(deviceId).min(1).max(1_000_000) }).strict(),
  z
    .object({
      filter: z
        .object({
          status: z
            .array(z.enum(['provisioned', 'active', 'suspended', 'quarantined', 'decommissioned']))
            .min(1)
            .optional(),
          kind: z.enum(['always-on', 'sleepy', 'lorawan']).optional(),
          model: z.string().min(1).max(128).optional(),
          firmwareVersion: z.string().min(1).max(64).optional(),
          tags: z.array(z.string().min(1).max(64)).min(1).optional(),
          region: z.string().min(1).max(16).optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ group: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a group name') }).strict(),
]);

const jobBody = z
  .object({
    operation: operationBody,
    targets: selector,
    startAt: z.iso.datetime({ offset: true }).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    /** Devices released per minute; omitted: as fast as the dispatcher goes. */
    ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

const outcomesQuery = z.object({
  status: z.string().max(32).optional(),
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Bulk jobs: one operation over many devices, at a rate, within a window. */
@Controller('jobs')
export class JobsHttpController {
  constructor(private readonly jobs: JobService) {}

  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  create(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<JobView> {
    const parsed = parseBody(jobBody, body);
    return this.jobs.create(
      {
        operation: operationRequestOf(parsed.operation),
        selector: parsed.targets,
        startAt: parsed.startAt ? new Date(parsed.startAt).toISOString() : null,
        expiresAt: parsed.expiresAt ? new Date(parsed.expiresAt).toISOString() : null,
        ratePerMinute: parsed.ratePerMinute ?? null,
        maxAttempts: parsed.maxAttempts ?? null,
      },
      commandMetadata({ actor, reason: parsed.reason, correlationId }),
    );
  }

  @Get(':id')
  @Roles('admin', 'operator', 'support', 'viewer')
  get(@Param('id') id: string): Promise<JobView> {
    return this.jobs.view(id);
  }

  /** Per-device outcome in target order (`after` = the last `seq` seen), optionally of one status. */
  @Get(':id/devices')
  @Roles('admin', 'operator', 'support', 'viewer')
  async devices(@Param('id') id: string, @Query() query: Record<string, unknown>) {
    const parsed = outcomesQuery.safeParse(query);
    if (!parsed.success)
      throw new ValidationError(
        `query: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    await this.jobs.view(id);
    const items = await this.jobs.jobs.outcomes(
      id,
      parsed.data.after,
      parsed.data.limit,
      parsed.data.status ?? null,
    );
    return { items, next: items.length === parsed.data.limit ? items.at(-1)!.seq : null };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  cancel(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<JobView> {
    const { reason } = parseBody(
      z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict(),
      body ?? {},
    );
    return this.jobs.cancel(id, commandMetadata({ actor, reason: reason ?? null, correlationId }));
  }
}
