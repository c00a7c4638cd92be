import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import type { ScopedWindow } from '../../evaluation/suppression';
import type { Scope } from '../../rules/rule';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { TABLES } from '../../storage/postgres/tables';
import { compileWindow } from '../maintenance-window';

/** A maintenance window as the API shows it. */
export interface WindowView {
  readonly windowId: string;
  readonly scope: Scope;
  readonly cron: string;
  readonly durationMinutes: number;
  readonly timezone: string;
  readonly ruleIds: readonly string[] | null;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

interface WindowRow {
  window_id: string;
  scope: Scope;
  cron: string;
  duration_minutes: number;
  timezone: string;
  rule_ids: string[] | null;
  reason: string | null;
  created_by: string;
  created_at: Date;
}

/** The maintenance windows declared through the API, reloaded every ALERTING_RULES_REFRESH_MS. */
@Injectable()
export class WindowRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WindowRegistry.name);
  private views: WindowView[] = [];
  private compiled: ScopedWindow[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.storage.ready;
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.error({ err: error }, 'reading windows failed'));
    }, this.config.ALERTING_RULES_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  windows(): readonly ScopedWindow[] {
    return this.compiled;
  }

  list(): readonly WindowView[] {
    return this.views;
  }

  async refresh(): Promise<void> {
    const { rows } = await this.pool.query<WindowRow>(
      `select window_id::text, scope, cron, duration_minutes, timezone, rule_ids, reason, created_by, created_at
       from ${TABLES.windows} where deleted_at is null order by created_at`,
    );
    this.views = rows.map((r) => ({
      windowId: r.window_id,
      scope: r.scope,
      cron: r.cron,
      durationMinutes: r.duration_minutes,
      timezone: r.timezone,
      ruleIds: r.rule_ids,
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: r.created_at.toISOString(),
    }));
    this.compiled = this.views.flatMap((v) => {
      const window = compileWindow(v);
      return 'problem' in window ? [] : [{ id: v.windowId, scope: v.scope, window, ruleIds: v.ruleIds }];
    });
  }
}
