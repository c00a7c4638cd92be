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
import { WebhookStore } from '../../notifications/webhooks/webhook.store';
import type { Severity } from '../../rules/rule';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { TABLES } from '../../storage/postgres/tables';
import { BATTERY_BANDS, bandOf, emptySeverities, type FleetHealth } from '../fleet-health';

/**
 * Fleet health, computed every ALERTING_HEALTH_REFRESH_MS from the silence index, the device
 * directory and the alerts read model (aggregates over a million rows are too dear per scrape),
 * served by `GET /fleet/health` and exported as gauges on `/metrics`.
 */
@Injectable()
export class FleetHealthReport implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FleetHealthReport.name);
  private latest?: FleetHealth;
  private computing?: Promise<FleetHealth>;
  private timer?: NodeJS.Timeout;
  private readonly devices;
  private readonly battery;
  private readonly alertsOpen;
  private readonly webhooks: WebhookStore;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    metrics: Metrics,
  ) {
    this.webhooks = new WebhookStore(pool);
    this.devices = metrics.gauge(
      'fleet_devices',
      'Devices by connectivity: online, offline, silent, never_seen',
      ['state'],
    );
    this.battery = metrics.gauge(
      'fleet_devices_battery',
      'Devices by band of last reported battery level (%)',
      ['band'],
    );
    this.alertsOpen = metrics.gauge('fleet_alerts_open', 'Alerts not cleared, by severity and rule', [
      'severity',
      'rule_id',
      'rule',
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.error({ err: error }, 'computing fleet health failed'),
      );
    }, this.config.ALERTING_HEALTH_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The latest report; computed now when there is none yet or `fresh` is asked for. */
  async current(fresh = false): Promise<FleetHealth> {
    if (this.latest && !fresh) return this.latest;
    return this.refresh();
  }

  refresh(): Promise<FleetHealth> {
    this.computing ??= this.compute().finally(() => (this.computing = undefined));
    return this.computing;
  }

  private async compute(): Promise<FleetHealth> {
    const [activity, bands, statuses, silent, alerts, webhooks] = await Promise.all([
      this.pool.query<{ reporting: string; online: string }>(
        `select count(*) as reporting,
           count(*) filter (where a.last_seen_at >= now() - make_interval(secs => greatest(2 * coalesce(d.interval_s, 300), 120))) as online
         from ${TABLES.activity} a left join ${TABLES.devices} d using (device_id)`,
      ),
      this.pool.query<{ bucket: number; n: string }>(
        `select width_bucket(battery, 0, 100, 10) as bucket, count(*) as n from ${TABLES.activity}
         where battery is not null group by 1`,
      ),
      this.pool.query<{ status: string; n: string; never_seen: string }>(
        `select d.facts->>'status' as status, count(*) as n,
           count(*) filter (where not exists (select 1 from ${TABLES.activity} a where a.device_id = d.device_id)) as never_seen
         from ${TABLES.devices} d where d.facts is not null group by 1`,
      ),
      this.pool.query<{ n: string }>(
        `select count(distinct subject) as n from ${TABLES.alertState} where status = 'open' and rule_kind = 'silence'`,
      ),
      this.pool.query<{ rule_id: string; rule_name: string; severity: Severity; n: string }>(
        `select rule_id, rule_name, severity, count(*) as n from ${TABLES.alerts} where status <> 'cleared' group by 1, 2, 3`,
      ),
      this.webhooks.pendingCount(),
    ]);
    const reporting = Number(activity.rows[0]?.reporting ?? 0);
    const online = Number(activity.rows[0]?.online ?? 0);
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    const known = statuses.rows
      .filter((r) => r.status !== 'decommissioned')
      .reduce((sum, r) => sum + Number(r.n), 0);
    const neverSeen = statuses.rows
      .filter((r) => r.status !== 'decommissioned')
      .reduce((sum, r) => sum + Number(r.never_seen), 0);
    const bandCounts: Record<string, number> = Object.fromEntries(BATTERY_BANDS.map((b) => [b, 0]));
    for (const row of bands.rows) bandCounts[bandOf(Number(row.bucket))]! += Number(row.n);
    const bySeverity = emptySeverities();
    for (const row of alerts.rows) bySeverity[row.severity] = (bySeverity[row.severity] ?? 0) + Number(row.n);
    const report: FleetHealth = {
      generatedAt: new Date().toISOString(),
      devices: {
        known,
        reporting,
        online,
        offline: reporting - online,
        silent: Number(silent.rows[0]?.n ?? 0),
        neverSeen,
        byStatus,
      },
      battery: {
        reporting: Object.values(bandCounts).reduce((a, b) => a + b, 0),
        bands: bandCounts,
        below20Percent: (bandCounts['0-10'] ?? 0) + (bandCounts['10-20'] ?? 0),
      },
      alerts: {
        active: alerts.rows.reduce((sum, r) => sum + Number(r.n), 0),
        bySeverity,
        byRule: alerts.rows.map((r) => ({
          ruleId: r.rule_id,
          ruleName: r.rule_name,
          severity: r.severity,
          active: Number(r.n),
        })),
      },
      webhooks: { pendingDeliveries: webhooks.pending, deadLetters: webhooks.dead },
    };
    this.export(report);
    this.latest = report;
    return report;
  }

  private export(report: FleetHealth): void {
    const d = report.devices;
    this.devices.set({ state: 'online' }, d.online);
    this.devices.set({ state: 'offline' }, d.offline);
    this.devices.set({ state: 'silent' }, d.silent);
    this.devices.set({ state: 'never_seen' }, d.neverSeen);
    for (const [band, n] of Object.entries(report.battery.bands)) this.battery.set({ band }, n);
    this.alertsOpen.reset();
    for (const r of report.alerts.byRule) {
      this.alertsOpen.set({ severity: r.severity, rule_id: r.ruleId, rule: r.ruleName }, r.active);
    }
  }
}
