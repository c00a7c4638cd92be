import { randomUUID } from 'node:crypto';
import { ConcurrencyError, DEFAULT_TENANT } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
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
import { RuleRegistry } from '../../rules/rule-registry/rule-registry';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { TABLES } from '../../storage/postgres/tables';
import { alertStream } from '../alert';
import { alertDecider } from '../alert.decide';
import { ALERTING_ACTOR } from '../alert-writer/alert-writer';
import type { Severity } from '../../rules/rule';

/**
 * Escalates alerts nobody acknowledged within their rule's `escalation.afterSeconds`, polling the
 * read model every ALERTING_ESCALATION_CHECK_MS. Deciding on the alert's stream makes it safe for
 * several replicas and against an acknowledgement arriving at the same moment.
 */
@Injectable()
export class EscalationSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EscalationSweeper.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly escalated;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    private readonly rules: RuleRegistry,
    metrics: Metrics,
  ) {
    this.escalated = metrics.counter('fleet_alerting_alerts_escalated_total', 'Alerts escalated', [
      'severity',
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.timer = setInterval(() => {
      this.running = this.running
        .then(async () => void (await this.sweep()))
        .catch((error: unknown) => this.logger.error({ err: error }, 'escalation sweep failed'));
    }, this.config.ALERTING_ESCALATION_CHECK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(now = Date.now()): Promise<number> {
    const escalating = this.rules.ruleSet.rules.filter((r) => r.definition.escalation);
    if (escalating.length === 0) return 0;
    const { rows } = await this.pool.query<{ alert_id: string; rule_id: string; raised_at: Date }>(
      `select a.alert_id::text, a.rule_id, a.raised_at from ${TABLES.alerts} a
       join unnest($1::text[], $2::int[]) r(rule_id, seconds) on r.rule_id = a.rule_id
       where a.status = 'open' and a.escalated_at is null
         and a.raised_at + make_interval(secs => r.seconds) <= to_timestamp($3 / 1000.0)
       order by a.raised_at limit 200`,
      [escalating.map((r) => r.ruleId), escalating.map((r) => r.definition.escalation!.afterSeconds), now],
    );
    for (const row of rows) {
      const severity = this.rules.ruleSet.get(row.rule_id)?.definition.escalation?.severity;
      if (severity)
        await this.escalate(row.alert_id, severity, Math.round((now - row.raised_at.getTime()) / 1000), now);
    }
    return rows.length;
  }

  private async escalate(alertId: string, severity: Severity, unacknowledgedSeconds: number, now: number) {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const { events } = await handleCommand(
          this.store,
          alertStream(alertId),
          alertDecider,
          { type: 'EscalateAlert', alertId, severity, unacknowledgedSeconds },
          {
            commandId: randomUUID(),
            actor: ALERTING_ACTOR,
            reason: `not acknowledged for ${unacknowledgedSeconds} s`,
            occurredAt: new Date(now).toISOString(),
            correlationId: alertId,
            causationId: null,
            tenant: DEFAULT_TENANT,
          },
        );
        if (events.length > 0) this.escalated.inc({ severity });
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
  }
}
