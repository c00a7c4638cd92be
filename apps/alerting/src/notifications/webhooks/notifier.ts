import { EVENT_STORE, type EventStore, type RecordedEvent, type Subscription } from '@fleet/event-store';
import { PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import {
  alertStream,
  evolveAlert,
  initialAlertState,
  type AlertEvent,
  type AlertState,
  type ExistingAlert,
} from '../../alerts/alert';
import { Lru } from '../../devices/lru';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { inTransaction } from '../../storage/postgres/transaction';
import { wants } from '../webhook';
import { WebhookStore } from './webhook.store';

/**
 * Turns alert events into webhook deliveries: a checkpointed subscription to the `alert-`
 * streams that queues one delivery per interested webhook, in the same transaction for a whole
 * batch. Sending is the delivery worker's job, so a slow or failing receiver never holds up
 * evaluation, the relay, or other webhooks.
 */
@Injectable()
export class Notifier implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'alerting-notifier';
  private readonly logger = new Logger(Notifier.name);
  private readonly webhooks: WebhookStore;
  private readonly alerts = new Lru<string, AlertState>(10_000);
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly storage: AlertingStorage,
  ) {
    this.webhooks = new WebhookStore(pool);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.subscription = await this.store.subscribe({
      subscriptionId: Notifier.subscriptionId,
      streamPrefixes: ['alert-'],
      batchHandler: (events) => this.queue(events),
      onError: (error) => this.logger.error({ err: error }, 'queueing webhook deliveries failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  private async queue(events: readonly RecordedEvent[]): Promise<void> {
    const webhooks = await this.webhooks.list();
    if (webhooks.length === 0) return;
    const deliveries: Parameters<WebhookStore['enqueue']>[1][number][] = [];
    for (const recorded of events) {
      const alert = await this.stateAfter(recorded);
      if (alert.status === 'none') continue;
      const event = recorded as unknown as AlertEvent;
      // Severity as it was when the event happened: an escalation notifies at the new severity.
      const match = { eventType: event.type, severity: alert.severity, ruleId: alert.ruleId };
      for (const webhook of webhooks.filter((w) => wants(w, match))) {
        deliveries.push({
          webhookId: webhook.webhookId,
          eventId: recorded.id,
          eventType: recorded.type,
          alertId: alert.alertId,
          payload: payload(recorded, alert),
        });
      }
    }
    await inTransaction(this.pool, (tx) => this.webhooks.enqueue(tx, deliveries));
  }

  /** The alert right after `recorded`, folded from its stream (cached across events). */
  private async stateAfter(recorded: RecordedEvent): Promise<AlertState> {
    const alertId = recorded.stream.slice('alert-'.length);
    const revision = Number(recorded.revision);
    const cached = this.alerts.get(alertId);
    let state: AlertState;
    if (cached && cached.version === revision) {
      state = evolveAlert(cached, recorded as unknown as AlertEvent);
    } else {
      const events = await this.store.readStream(alertStream(alertId), { maxCount: revision + 1 });
      state = events.reduce((s, e) => evolveAlert(s, e as unknown as AlertEvent), initialAlertState);
    }
    this.alerts.set(alertId, state);
    return state;
  }
}

/** The JSON a webhook receives: the event and the alert as it stands after it. */
function payload(recorded: RecordedEvent, alert: ExistingAlert): Record<string, unknown> {
  return {
    eventId: recorded.id,
    eventType: recorded.type,
    occurredAt: recorded.metadata.occurredAt,
    actor: recorded.metadata.actor,
    reason: recorded.metadata.reason,
    alert: {
      alertId: alert.alertId,
      ruleId: alert.ruleId,
      ruleVersion: alert.ruleVersion,
      ruleName: alert.ruleName,
      ruleKind: alert.ruleKind,
      severity: alert.severity,
      status: alert.status,
      deviceId: alert.deviceId,
      subject: alert.subject,
      episode: alert.episode,
      message: alert.message,
      value: alert.value,
      bound: alert.bound,
      observedAt: new Date(alert.observedAt).toISOString(),
      acknowledgedBy: alert.acknowledgedBy,
      note: alert.note,
      clearedBy: alert.clearedBy,
      version: alert.version,
    },
  };
}
