import type { Pool } from 'pg';
import { TABLES } from '../../storage/postgres/tables';

/** An alert as the API shows it (the read model). */
export interface AlertView {
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly ruleKind: string;
  readonly subject: string;
  readonly deviceId: string | null;
  readonly episode: number;
  readonly severity: string;
  readonly status: 'open' | 'acknowledged' | 'cleared';
  readonly message: string;
  readonly value: number | null;
  readonly bound: number | null;
  readonly observedAt: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly note: string | null;
  readonly escalatedAt: string | null;
  readonly clearedAt: string | null;
  readonly clearedBy: string | null;
  readonly clearReason: string | null;
  /** Number of events in the alert's stream. */
  readonly version: number;
}

interface AlertRow {
  alert_id: string;
  rule_id: string;
  rule_version: number;
  rule_name: string;
  rule_kind: string;
  subject: string;
  device_id: string | null;
  episode: number;
  severity: string;
  status: AlertView['status'];
  message: string;
  value: number | null;
  bound: number | null;
  observed_at: Date;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  note: string | null;
  escalated_at: Date | null;
  cleared_at: Date | null;
  cleared_by: string | null;
  clear_reason: string | null;
  version: number;
}

export interface AlertFilter {
  readonly status?: readonly ('open' | 'acknowledged' | 'cleared')[];
  readonly severity?: string;
  readonly ruleId?: string;
  readonly deviceId?: string;
  readonly subject?: string;
  readonly limit: number;
  /** Keyset position: the last row of the previous page (newest first). */
  readonly after?: { readonly raisedAt: string; readonly alertId: string };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toView = (r: AlertRow): AlertView => ({
  alertId: r.alert_id,
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  ruleName: r.rule_name,
  ruleKind: r.rule_kind,
  subject: r.subject,
  deviceId: r.device_id,
  episode: r.episode,
  severity: r.severity,
  status: r.status,
  message: r.message,
  value: r.value,
  bound: r.bound,
  observedAt: r.observed_at.toISOString(),
  raisedAt: r.raised_at.toISOString(),
  acknowledgedAt: iso(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
  note: r.note,
  escalatedAt: iso(r.escalated_at),
  clearedAt: iso(r.cleared_at),
  clearedBy: r.cleared_by,
  clearReason: r.clear_reason,
  version: r.version,
});

/** Queries of the alerts read model. */
export class AlertViews {
  constructor(private readonly pool: Pool) {}

  async find(alertId: string): Promise<AlertView | undefined> {
    const { rows } = await this.pool.query<AlertRow>(
      `select * from ${TABLES.alerts} where alert_id::text = $1`,
      [alertId],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Newest first, keyset pages. */
  async list(f: AlertFilter): Promise<AlertView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.status) add('status = any(?::text[])', f.status);
    if (f.severity) add('severity = ?', f.severity);
    if (f.ruleId) add('rule_id = ?', f.ruleId);
    if (f.deviceId) add('device_id = ?', f.deviceId);
    if (f.subject) add('subject = ?', f.subject);
    if (f.after) {
      params.push(f.after.raisedAt, f.after.alertId);
      where.push(`(raised_at, alert_id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit);
    const { rows } = await this.pool.query<AlertRow>(
      `select * from ${TABLES.alerts} ${where.length ? `where ${where.join(' and ')}` : ''}
       order by raised_at desc, alert_id desc limit $${params.length}`,
      params,
    );
    return rows.map(toView);
  }
}
