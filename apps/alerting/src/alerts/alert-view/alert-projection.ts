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
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { TABLES } from '../../storage/postgres/tables';
import { inTransaction, type Tx } from '../../storage/postgres/transaction';
import type { AlertEvent } from '../alert';

/**
 * The alerts read model (`alerting.alerts`), projected from the `alert-` streams by a checkpointed
 * subscription. Every write is conditional on the row's version, so a redelivered event changes
 * nothing; the table can be dropped and rebuilt from the store.
 */
@Injectable()
export class AlertProjection implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly subscriptionId = 'alerting-alerts-projection';
  private readonly logger = new Logger(AlertProjection.name);
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly storage: AlertingStorage,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.subscription = await this.store.subscribe({
      subscriptionId: AlertProjection.subscriptionId,
      streamPrefixes: ['alert-'],
      batchHandler: (events) =>
        inTransaction(this.pool, async (tx) => {
          // Raises come in storms (a gateway down silences hundreds of devices): one insert for a
          // run of them; the rarer acknowledgements, escalations and clears one by one, in order.
          for (let i = 0; i < events.length;) {
            let j = i;
            while (j < events.length && events[j]!.type === 'AlertRaised') j++;
            if (j > i) {
              await insertRaised(tx, events.slice(i, j));
              i = j;
            } else {
              await apply(tx, events[i]!);
              i++;
            }
          }
        }),
      onError: (error) => this.logger.error({ err: error }, 'alert projection failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Resolves once every alert event committed before the call is in the read model. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }
}

async function insertRaised(tx: Tx, events: readonly RecordedEvent[]): Promise<void> {
  const rows = events.map((recorded) => ({
    ...(recorded as unknown as Extract<AlertEvent, { type: 'AlertRaised' }>).data,
    raisedAt: recorded.metadata.occurredAt,
    version: Number(recorded.revision) + 1,
  }));
  await tx.query(
    `insert into ${TABLES.alerts} (alert_id, rule_id, rule_version, rule_name, rule_kind, subject, device_id, episode,
       severity, status, message, value, bound, observed_at, raised_at, version)
     select r."alertId", r."ruleId", r."ruleVersion", r."ruleName", r."ruleKind", r.subject, r."deviceId", r.episode,
       r.severity, 'open', r.message, r.value, r.bound, to_timestamp(r."observedAt" / 1000.0), r."raisedAt", r.version
     from json_to_recordset($1::json) as r("alertId" uuid, "ruleId" text, "ruleVersion" int, "ruleName" text,
       "ruleKind" text, subject text, "deviceId" text, episode int, severity text, message text, value float8,
       bound float8, "observedAt" float8, "raisedAt" timestamptz, version int)
     on conflict (alert_id) do nothing`,
    [JSON.stringify(rows)],
  );
}

async function apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
  const event = recorded as unknown as AlertEvent;
  const version = Number(recorded.revision) + 1;
  const { occurredAt, reason } = recorded.metadata;
  const alerts = TABLES.alerts;
  switch (event.type) {
    case 'AlertRaised': {
      const d = event.data;
      await tx.query(
        `insert into ${alerts} (alert_id, rule_id, rule_version, rule_name, rule_kind, subject, device_id, episode,
           severity, status, message, value, bound, observed_at, raised_at, version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, to_timestamp($13 / 1000.0), $14, $15)
         on conflict (alert_id) do nothing`,
        [
          d.alertId,
          d.ruleId,
          d.ruleVersion,
          d.ruleName,
          d.ruleKind,
          d.subject,
          d.deviceId,
          d.episode,
          d.severity,
          d.message,
          d.value,
          d.bound,
          d.observedAt,
          occurredAt,
          version,
        ],
      );
      return;
    }
    case 'AlertAcknowledged':
      await tx.query(
        `update ${alerts} set status = case when status = 'cleared' then status else 'acknowledged' end,
           acknowledged_at = $2, acknowledged_by = $3, note = $4, version = $5
         where alert_id = $1 and version < $5`,
        [event.data.alertId, occurredAt, event.data.acknowledgedBy, event.data.note, version],
      );
      return;
    case 'AlertCleared':
      await tx.query(
        `update ${alerts} set status = 'cleared', cleared_at = $2, cleared_by = $3, clear_reason = $4, version = $5
         where alert_id = $1 and version < $5`,
        [event.data.alertId, occurredAt, event.data.clearedBy, reason ?? event.data.message, version],
      );
      return;
    case 'AlertEscalated':
      await tx.query(
        `update ${alerts} set severity = $2, escalated_at = $3, version = $4 where alert_id = $1 and version < $4`,
        [event.data.alertId, event.data.severity, occurredAt, version],
      );
      return;
    default:
      return;
  }
}
