import { Metrics } from '@fleet/observability';
import { PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { afterAttempt } from '../webhook';
import { sign, SIGNATURE_HEADER } from './webhook-signature';
import { WebhookStore, type ClaimedDelivery } from './webhook.store';

/** At most this many calls in flight to one webhook, so one slow receiver cannot take every slot. */
const PER_WEBHOOK = 4;

/**
 * Sends queued webhook deliveries: signed with the webhook's secret (HMAC-SHA256 over timestamp
 * and body), each call bounded by ALERTING_WEBHOOK_TIMEOUT_MS, retried with exponential backoff,
 * dead-lettered after ALERTING_WEBHOOK_MAX_ATTEMPTS. Calls run side by side (at most
 * ALERTING_WEBHOOK_CONCURRENCY, PER_WEBHOOK per receiver) and the worker never waits for one to
 * finish before claiming more, so a receiver that hangs delays only its own deliveries.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly store: WebhookStore;
  private readonly inFlight = new Map<string, number>();
  private readonly calls = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  private readonly attempts;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    metrics: Metrics,
  ) {
    this.store = new WebhookStore(pool);
    this.attempts = metrics.counter('fleet_alerting_webhook_attempts_total', 'Webhook calls by outcome', [
      'outcome',
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.timer = setInterval(() => void this.poll(), this.config.ALERTING_WEBHOOK_POLL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.calls]);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const free = this.config.ALERTING_WEBHOOK_CONCURRENCY - this.calls.size;
      const claimed = await this.store.claim(free, this.config.ALERTING_WEBHOOK_TIMEOUT_MS + 5_000);
      for (const delivery of claimed) {
        const busy = this.inFlight.get(delivery.webhookId) ?? 0;
        if (busy >= PER_WEBHOOK) {
          await this.store.release(delivery.deliveryId);
          continue;
        }
        this.inFlight.set(delivery.webhookId, busy + 1);
        const call = this.attempt(delivery).finally(() => {
          this.calls.delete(call);
          this.inFlight.set(delivery.webhookId, (this.inFlight.get(delivery.webhookId) ?? 1) - 1);
        });
        this.calls.add(call);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'claiming webhook deliveries failed');
    } finally {
      this.polling = false;
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify({
      deliveryId: delivery.deliveryId,
      webhookId: delivery.webhookId,
      ...delivery.payload,
    });
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.ALERTING_WEBHOOK_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'fleetwise-alerting',
          [SIGNATURE_HEADER]: sign(delivery.secret, body, Math.floor(Date.now() / 1000)),
          'x-fleet-delivery-id': delivery.deliveryId,
          'x-fleet-event-id': delivery.eventId,
          'x-fleet-event-type': delivery.eventType,
        },
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const outcome = afterAttempt(error === null, delivery.attempts + 1, Date.now(), {
      maxAttempts: this.config.ALERTING_WEBHOOK_MAX_ATTEMPTS,
      baseMs: this.config.ALERTING_WEBHOOK_RETRY_BASE_MS,
      maxMs: this.config.ALERTING_WEBHOOK_RETRY_MAX_MS,
    });
    this.attempts.inc({ outcome: outcome.status });
    if (outcome.status === 'dead') {
      this.logger.warn(
        { deliveryId: delivery.deliveryId, webhookId: delivery.webhookId, error },
        'webhook delivery dead-lettered',
      );
    }
    await this.store
      .recordAttempt(delivery.deliveryId, outcome, status, error)
      .catch((e: unknown) => this.logger.error({ err: e }, 'recording a webhook attempt failed'));
  }
}
