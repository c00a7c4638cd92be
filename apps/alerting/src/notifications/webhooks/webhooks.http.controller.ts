import { CurrentActor, Roles } from '@fleet/auth';
import { NotFoundError, type Actor } from '@fleet/core';
import { parseBody, parseInput } from '@fleet/observability';
import { PG_POOL } from '@fleet/platform';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ALERT_EVENT_TYPES } from '../../alerts/alert';
import { SEVERITIES } from '../../rules/rule';
import { WebhookStore, type DeliveryView, type WebhookView } from './webhook.store';

const createWebhook = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'an http or https URL'),
    secret: z.string().min(16, 'at least 16 characters').max(256).optional(),
    eventTypes: z
      .array(z.enum(ALERT_EVENT_TYPES as unknown as [string, ...string[]]))
      .min(1)
      .nullable()
      .default(null),
    minSeverity: z.enum(SEVERITIES).default('info'),
    ruleIds: z.array(z.string().min(1).max(128)).min(1).nullable().default(null),
    description: z.string().max(500).default(''),
  })
  .strict();

const deliveriesQuery = z
  .object({
    status: z.enum(['pending', 'delivered', 'dead']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** Webhooks: where alert events are POSTed, signed; and their deliveries, dead letters included. */
@Controller('webhooks')
export class WebhooksHttpController {
  private readonly store: WebhookStore;

  constructor(@Inject(PG_POOL) pool: Pool) {
    this.store = new WebhookStore(pool);
  }

  /** The secret (given or generated) is in this answer only; it signs every delivery. */
  @Post()
  @HttpCode(201)
  @Roles('admin')
  async create(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<WebhookView & { secret: string }> {
    const input = parseBody(createWebhook, body);
    const { webhook, secret } = await this.store.create(
      {
        ...input,
        eventTypes: input.eventTypes as WebhookView['eventTypes'],
        ...(input.secret ? { secret: input.secret } : {}),
      },
      actor.id,
    );
    return { ...webhook, secret };
  }

  @Get()
  @Roles('admin', 'operator')
  async list(): Promise<{ items: WebhookView[] }> {
    return { items: await this.store.list() };
  }

  @Get(':id')
  @Roles('admin', 'operator')
  async get(@Param('id') id: string): Promise<WebhookView> {
    const webhook = await this.store.find(id);
    if (!webhook) throw new NotFoundError(`webhook ${id} not found`, { webhookId: id });
    return webhook;
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('admin')
  async delete(@Param('id') id: string): Promise<{ webhookId: string; deleted: true }> {
    if (!(await this.store.delete(id))) throw new NotFoundError(`webhook ${id} not found`, { webhookId: id });
    return { webhookId: id, deleted: true };
  }

  /** Its deliveries, newest first; `?status=dead` lists the dead letters. */
  @Get(':id/deliveries')
  @Roles('admin', 'operator')
  async deliveries(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ items: DeliveryView[] }> {
    const q = parseInput(deliveriesQuery, { ...query }, 'query string');
    if (!(await this.store.find(id))) throw new NotFoundError(`webhook ${id} not found`, { webhookId: id });
    return { items: await this.store.deliveries(id, q.status, q.limit) };
  }

  /** Sends a dead letter again, from a first attempt. */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async redeliver(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryView> {
    const delivery = await this.store.redeliver(id, deliveryId);
    if (!delivery)
      throw new NotFoundError(`no dead delivery ${deliveryId} of webhook ${id}`, {
        webhookId: id,
        deliveryId,
      });
    return delivery;
  }
}
