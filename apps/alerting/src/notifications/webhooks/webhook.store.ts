import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { AlertEventType } from '../../alerts/alert';
import type { Severity } from '../../rules/rule';
import { TABLES } from '../../storage/postgres/tables';
import type { Tx } from '../../storage/postgres/transaction';
import type { WebhookSubscription } from '../webhook';

export interface WebhookView extends WebhookSubscription {
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface DeliveryView {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly alertId: string;
  readonly status: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** A delivery claimed for an attempt. */
export interface ClaimedDelivery {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly url: string;
  readonly secret: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: Record<string, unknown>;
  readonly attempts: number;
}

interface WebhookRow {
  webhook_id: string;
  url: string;
  event_types: AlertEventType[] | null;
  min_severity: Severity;
  rule_ids: string[] | null;
  description: string;
  created_by: string;
  created_at: Date;
}

interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  alert_id: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const toWebhook = (r: WebhookRow): WebhookView => ({
  webhookId: r.webhook_id,
  url: r.url,
  eventTypes: r.event_types,
  minSeverity: r.min_severity,
  ruleIds: r.rule_ids,
  description: r.description,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

const toDelivery = (r: DeliveryRow): DeliveryView => ({
  deliveryId: r.delivery_id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  alertId: r.alert_id,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
  lastStatus: r.last_status,
  lastError: r.last_error,
  createdAt: r.created_at.toISOString(),
  deliveredAt: r.delivered_at?.toISOString() ?? null,
});

const WEBHOOK_COLUMNS =
  'webhook_id::text, url, event_types, min_severity, rule_ids, description, created_by, created_at';
const DELIVERY_COLUMNS =
  'delivery_id::text, webhook_id::text, event_id, event_type, alert_id::text, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at';

/** Webhooks and their deliveries in PostgreSQL. */
export class WebhookStore {
  constructor(private readonly pool: Pool) {}

  /** @returns the webhook and its secret (given, or generated: shown this once). */
  async create(
    input: Omit<WebhookSubscription, 'webhookId'> & { secret?: string; description: string },
    createdBy: string,
  ): Promise<{ webhook: WebhookView; secret: string }> {
    const secret = input.secret ?? randomBytes(32).toString('base64url');
    const { rows } = await this.pool.query<WebhookRow>(
      `insert into ${TABLES.webhooks} (webhook_id, url, secret, event_types, min_severity, rule_ids, description, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${WEBHOOK_COLUMNS}`,
      [
        randomUUID(),
        input.url,
        secret,
        input.eventTypes,
        input.minSeverity,
        input.ruleIds,
        input.description,
        createdBy,
      ],
    );
    return { webhook: toWebhook(rows[0]!), secret };
  }

  async list(): Promise<WebhookView[]> {
    const { rows } = await this.pool.query<WebhookRow>(
      `select ${WEBHOOK_COLUMNS} from ${TABLES.webhooks} where deleted_at is null order by created_at`,
    );
    return rows.map(toWebhook);
  }

  async find(webhookId: string): Promise<WebhookView | undefined> {
    const { rows } = await this.pool.query<WebhookRow>(
      `select ${WEBHOOK_COLUMNS} from ${TABLES.webhooks} where webhook_id::text = $1 and deleted_at is null`,
      [webhookId],
    );
    return rows[0] ? toWebhook(rows[0]) : undefined;
  }

  async delete(webhookId: string): Promise<boolean> {
    const result = await this.pool.query(
      `update ${TABLES.webhooks} set deleted_at = now() where webhook_id::text = $1 and deleted_at is null`,
      [webhookId],
    );
    await this.pool.query(
      `update ${TABLES.deliveries} set status = 'dead', last_error = 'webhook deleted'
       where webhook_id::text = $1 and status = 'pending'`,
      [webhookId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Queues deliveries; one per (webhook, event), so a redelivered alert event adds none. */
  async enqueue(
    tx: Tx,
    deliveries: readonly {
      webhookId: string;
      eventId: string;
      eventType: string;
      alertId: string;
      payload: object;
    }[],
  ): Promise<void> {
    if (deliveries.length === 0) return;
    await tx.query(
      `insert into ${TABLES.deliveries} (delivery_id, webhook_id, event_id, event_type, alert_id, payload, status, next_attempt_at)
       select gen_random_uuid(), w, e, t, a, p, 'pending', now()
       from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[]) as x(w, e, t, a, p)
       on conflict (webhook_id, event_id) do nothing`,
      [
        deliveries.map((d) => d.webhookId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.alertId),
        deliveries.map((d) => JSON.stringify(d.payload)),
      ],
    );
  }

  /**
   * Claims due deliveries for one attempt each: they are leased (`next_attempt_at` pushed past
   * the call's timeout), so a replica that dies mid-call leaves them to be tried again.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<{
      delivery_id: string;
      webhook_id: string;
      url: string;
      secret: string;
      event_id: string;
      event_type: string;
      payload: Record<string, unknown>;
      attempts: number;
    }>(
      `update ${TABLES.deliveries} d set next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
       from ${TABLES.webhooks} w
       where w.webhook_id = d.webhook_id and d.delivery_id in (
         select delivery_id from ${TABLES.deliveries}
         where status = 'pending' and next_attempt_at <= now()
         order by next_attempt_at limit $1 for update skip locked)
       returning d.delivery_id::text, d.webhook_id::text, w.url, w.secret, d.event_id, d.event_type, d.payload, d.attempts`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      webhookId: r.webhook_id,
      url: r.url,
      secret: r.secret,
      eventId: r.event_id,
      eventType: r.event_type,
      payload: r.payload,
      attempts: r.attempts,
    }));
  }

  /** Gives a claimed delivery back untried (its webhook already has enough calls in flight). */
  async release(deliveryId: string): Promise<void> {
    await this.pool.query(
      `update ${TABLES.deliveries} set next_attempt_at = now() where delivery_id::text = $1`,
      [deliveryId],
    );
  }

  async recordAttempt(
    deliveryId: string,
    outcome: { status: 'delivered' | 'pending' | 'dead'; nextAttemptAt?: number },
    httpStatus: number | null,
    error: string | null,
  ): Promise<void> {
    await this.pool.query(
      `update ${TABLES.deliveries} set attempts = attempts + 1, status = $2, last_status = $3, last_error = $4,
         next_attempt_at = coalesce(to_timestamp($5::float8 / 1000), next_attempt_at),
         delivered_at = case when $2 = 'delivered' then now() else delivered_at end
       where delivery_id::text = $1`,
      [deliveryId, outcome.status, httpStatus, error?.slice(0, 1_000) ?? null, outcome.nextAttemptAt ?? null],
    );
  }

  async deliveries(
    webhookId: string,
    status: DeliveryView['status'] | undefined,
    limit: number,
  ): Promise<DeliveryView[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `select ${DELIVERY_COLUMNS} from ${TABLES.deliveries}
       where webhook_id::text = $1 and ($2::text is null or status = $2) order by created_at desc limit $3`,
      [webhookId, status ?? null, limit],
    );
    return rows.map(toDelivery);
  }

  /** Sends a dead delivery again from its first attempt. */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryView | undefined> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `update ${TABLES.deliveries} set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null
       where webhook_id::text = $1 and delivery_id::text = $2 and status = 'dead' returning ${DELIVERY_COLUMNS}`,
      [webhookId, deliveryId],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async pendingCount(): Promise<{ pending: number; dead: number }> {
    const { rows } = await this.pool.query<{ pending: string; dead: string }>(
      `select count(*) filter (where status = 'pending') as pending, count(*) filter (where status = 'dead') as dead
       from ${TABLES.deliveries}`,
    );
    return { pending: Number(rows[0]?.pending ?? 0), dead: Number(rows[0]?.dead ?? 0) };
  }
}
