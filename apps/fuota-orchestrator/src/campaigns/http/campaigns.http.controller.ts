import { CurrentActor, Roles } from '@fleet/auth';
import { type Actor } from '@fleet/core';
import { parseBody, parseInput } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { CampaignService } from '../manage/campaign-service';
import { campaignBody, campaignRequestOf } from './campaign-body';

const reasonBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
const resumeBody = reasonBody.extend({ retryFailed: z.boolean().default(true) }).strict();
const devicesQuery = z.object({
  status: z.string().max(32).optional(),
  wave: z.coerce.number().int().min(0).optional(),
  after: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const listQuery = z.object({
  status: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Firmware campaigns: dry run, create, approve (four eyes), pause, resume, cancel, progress, history. */
@Controller('campaigns')
export class CampaignsHttpController {
  constructor(private readonly campaigns: CampaignService) {}

  @Post('preview')
  @HttpCode(200)
  @Roles('admin', 'operator')
  preview(@Body() body: unknown) {
    return this.campaigns.preview(campaignRequestOf(parseBody(campaignBody, body)));
  }

  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  create(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ) {
    const parsed = parseBody(campaignBody, body);
    return this.campaigns.create(
      campaignRequestOf(parsed),
      commandMetadata({ actor, reason: parsed.reason ?? `campaign ${parsed.name}`, correlationId }),
    );
  }

  @Get()
  @Roles('admin', 'operator', 'support', 'viewer')
  list(@Query() query: unknown) {
    const q = parseInput(listQuery, query, 'query');
    return this.campaigns.ledger.table.list(q.status, q.limit);
  }

  @Get(':id')
  @Roles('admin', 'operator', 'support', 'viewer')
  get(@Param('id') id: string) {
    return this.campaigns.view(id);
  }

  @Get(':id/devices')
  @Roles('admin', 'operator', 'support', 'viewer')
  async devices(@Param('id') id: string, @Query() query: unknown) {
    const q = parseInput(devicesQuery, query, 'query');
    const items = await this.campaigns.devices(id, q);
    return { items, next: items.length === q.limit ? items.at(-1)!.deviceId : null };
  }

  @Get(':id/history')
  @Roles('admin', 'operator', 'support', 'viewer')
  async history(@Param('id') id: string) {
    const events = await this.campaigns.history(id);
    return events.map((e) => ({
      revision: Number(e.revision),
      type: e.type,
      data: e.data,
      metadata: e.metadata,
    }));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('admin', 'operator')
  approve(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ) {
    const { reason } = parseBody(reasonBody, body ?? {});
    return this.campaigns.approve(
      id,
      commandMetadata({ actor, reason: reason ?? 'approved', correlationId }),
    );
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Roles('admin', 'operator')
  pause(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ) {
    const { reason } = parseBody(reasonBody, body ?? {});
    return this.campaigns.pause(id, commandMetadata({ actor, reason: reason ?? null, correlationId }));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Roles('admin', 'operator')
  resume(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ) {
    const { reason, retryFailed } = parseBody(resumeBody, body ?? {});
    return this.campaigns.resume(
      id,
      retryFailed,
      commandMetadata({ actor, reason: reason ?? null, correlationId }),
    );
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  cancel(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ) {
    const { reason } = parseBody(reasonBody, body ?? {});
    return this.campaigns.cancel(id, commandMetadata({ actor, reason: reason ?? null, correlationId }));
  }
}
