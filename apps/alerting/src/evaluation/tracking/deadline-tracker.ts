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
import { alertIdFor } from '../../alerts/alert-writer/alert-identity';
import { AlertWriter } from '../../alerts/alert-writer/alert-writer';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import { WindowRegistry } from '../../maintenance/windows/window-registry';
import { RuleRegistry } from '../../rules/rule-registry/rule-registry';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { AlertStateStore } from '../../storage/postgres/alert-state.store';
import { TABLES } from '../../storage/postgres/tables';
import { inTransaction, LOCKS, type Tx } from '../../storage/postgres/transaction';
import { AlertSlots, type AlertDecision } from '../alert-slots';
import { checkDrift } from '../drift';
import type { RuleSet } from '../rule-set';
import { checkSilence } from '../silence';
import { suppressedUntil } from '../suppression';
import { ActivityIndex } from './activity-index';

/**
 * The merge yields to the hot path: it waits until MERGE_MIN_ROWS journal rows are there or the
 * oldest is MERGE_MAX_LAG_MS old, then merges MERGE_CHUNK rows per transaction, each device once
 * however often it reported meanwhile (docs/adr/012).
 */
const MERGE_MIN_ROWS = 50;
const MERGE_MAX_LAG_MS = 5_000;
const MERGE_CHUNK = 50;
/**
 * Journal rows the silence check reads under the exclusive lock for uplinks not merged yet; with
 * more, the merge is behind (a burst) and the check waits for it: late alerts, never early ones.
 */
const SCAN_LIMIT = 200;
/** Devices decided per transaction. */
const CHECK_BATCH = 1_000;

/**
 * The deadline tracker: no timer per device. Each round (every ALERTING_SILENCE_CHECK_MS, on one
 * replica at a time) it merges the telemetry journal into the silence index, then, holding the
 * activity lock exclusively so that no uplink commits unseen in between, takes the devices whose
 * indexed deadline passed (an index range scan, earliest first) and lets the silence rules decide;
 * then the same for drift deadlines, and clears the alerts of rules no longer enabled. Memory
 * stays bounded by the batch size whatever the fleet; a restart resumes from the index.
 */
@Injectable()
export class DeadlineTracker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeadlineTracker.name);
  private readonly index = new ActivityIndex();
  private readonly alertState = new AlertStateStore(TABLES.alertState);
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private round: Promise<void> = Promise.resolve();
  private readonly delay;
  private readonly backlog;
  private readonly merged;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    private readonly rules: RuleRegistry,
    private readonly windows: WindowRegistry,
    private readonly directory: DeviceDirectory,
    private readonly writer: AlertWriter,
    metrics: Metrics,
  ) {
    this.delay = metrics.histogram(
      'fleet_alerting_silence_delay_seconds',
      'Time from a silence deadline passing to its alert being raised',
      [],
      [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
    );
    this.backlog = metrics.gauge(
      'fleet_alerting_journal_backlog',
      'Telemetry journal rows not merged into the silence index yet',
    );
    this.merged = metrics.counter(
      'fleet_alerting_journal_merged_total',
      'Telemetry journal rows merged into the silence index',
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runRound()
        .catch((error: unknown) => this.logger.error({ err: error }, 'deadline tracking round failed'))
        .finally(() => this.schedule(this.config.ALERTING_SILENCE_CHECK_MS));
    }, ms);
  }

  /** One round; exported for tests through {@link runOnce}. */
  async runOnce(now = Date.now()): Promise<void> {
    await this.runRound(now);
  }

  private async runRound(now?: number): Promise<void> {
    const rules = this.rules.ruleSet;
    await this.applyRuleChanges(rules);
    await this.catchUp(rules);
    for (let budget = 20; budget > 0 && !this.stopped; budget--) {
      const checked = await this.checkSilence(rules, now ?? Date.now());
      if (checked < CHECK_BATCH) break;
    }
    for (let budget = 20; budget > 0 && !this.stopped; budget--) {
      if ((await this.checkDrift(rules, now ?? Date.now())) < CHECK_BATCH) break;
    }
    await this.clearRetiredRules(rules);
  }

  /** Merges the journal a chunk per transaction until it is empty (or the round's time is up). */
  private async catchUp(rules: RuleSet): Promise<void> {
    const { rows, oldest } = await this.index.journalAge(this.pool);
    this.backlog.set(rows);
    if (rows === 0 || (rows < MERGE_MIN_ROWS && Date.now() - oldest < MERGE_MAX_LAG_MS)) return;
    const until = Date.now() + 2_000;
    while (!this.stopped && Date.now() < until) {
      const merged = await inTransaction(this.pool, async (tx) => {
        if (!(await tryLock(tx))) return 0;
        return this.index.merge(tx, MERGE_CHUNK, rules.smallestSilenceMultiplier);
      });
      this.merged.inc(merged);
      if (merged < MERGE_CHUNK) break;
    }
    this.backlog.set((await this.index.journalAge(this.pool)).rows);
  }

  /** @returns how many due devices were decided. */
  private async checkSilence(rules: RuleSet, now: number): Promise<number> {
    if (rules.silence.length === 0) return 0;
    return inTransaction(this.pool, async (tx) => {
      if (!(await tryLock(tx))) return 0;
      // Most rounds nobody is due, and the activity lock is never taken.
      if (!(await this.index.anyDue(tx, now))) return 0;
      // No uplink commits while we decide, so the journal shows every uplink there is.
      await tx.query(`select pg_advisory_xact_lock(${LOCKS.activity})`);
      if ((await this.index.backlog(tx)) > SCAN_LIMIT) return 0;
      const due = await this.index.due(tx, now, CHECK_BATCH);
      if (due.length === 0) return 0;
      const ids = due.map((d) => d.deviceId);
      const unmerged = await this.index.unmergedUplinks(tx, ids);
      const facts = await this.directory.read(tx, ids);
      const slots = await this.slotsOf(
        tx,
        rules.silence.map((r) => r.ruleId),
        ids,
      );
      const windows = this.windows.windows();
      const decisions: AlertDecision[] = [];
      const next: { deviceId: string; at: number | null }[] = [];
      for (const device of due) {
        const lastSeenAt = Math.max(device.lastSeenAt, unmerged.get(device.deviceId) ?? 0);
        const check = checkSilence(
          { deviceId: device.deviceId, lastSeenAt, facts: facts.get(device.deviceId) ?? null },
          now,
          rules,
          slots,
          (rule, f, at) => suppressedUntil(rule, f, windows, at),
        );
        decisions.push(...check.decisions);
        next.push({ deviceId: device.deviceId, at: check.nextCheckAt });
      }
      await this.writer.apply(decisions, slots, rules, now);
      await this.alertState.save(tx, slots.changes(), () => 'silence');
      await this.index.reschedule(tx, next);
      const raisedAt = Date.now();
      for (const d of decisions)
        if (d.action === 'raise') this.delay.observe(Math.max(0, raisedAt - d.observedAt) / 1000);
      return due.length;
    });
  }

  private async checkDrift(rules: RuleSet, now: number): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      if (!(await tryLock(tx))) return 0;
      const { rows } = await tx.query<{ device_id: string }>(
        `select device_id from ${TABLES.devices} where drift_check_at <= to_timestamp($1 / 1000.0)
         order by drift_check_at limit $2 for update skip locked`,
        [now, CHECK_BATCH],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.device_id);
      const facts = await this.directory.read(tx, ids);
      const slots = await this.slotsOf(
        tx,
        rules.drift.map((r) => r.ruleId),
        ids,
      );
      const windows = this.windows.windows();
      const decisions: AlertDecision[] = [];
      const next: { deviceId: string; at: number | null }[] = [];
      for (const id of ids) {
        const f = facts.get(id);
        const check = f
          ? checkDrift(f, now, rules, slots, (rule, x, at) => suppressedUntil(rule, x, windows, at))
          : null;
        decisions.push(...(check?.decisions ?? []));
        next.push({ deviceId: id, at: check?.nextCheckAt ?? null });
      }
      await this.writer.apply(decisions, slots, rules, now);
      await this.alertState.save(tx, slots.changes(), () => 'drift');
      await tx.query(
        `update ${TABLES.devices} d set drift_check_at = case when n.at is null then null else to_timestamp(n.at / 1000.0) end
         from unnest($1::text[], $2::float8[]) as n(device_id, at) where d.device_id = n.device_id`,
        [next.map((n) => n.deviceId), next.map((n) => n.at)],
      );
      return ids.length;
    });
  }

  private async slotsOf(
    tx: Tx,
    ruleIds: readonly string[],
    subjects: readonly string[],
  ): Promise<AlertSlots> {
    const keys = ruleIds.flatMap((ruleId) => subjects.map((subject) => ({ ruleId, subject })));
    return new AlertSlots(await this.alertState.of(tx, keys), alertIdFor);
  }

  /**
   * A silence rule that is new (or revised, or enabled again) may watch devices whose next check
   * lies later than its own deadline, or nowhere: bring those forward, once per rule version.
   */
  private async applyRuleChanges(rules: RuleSet): Promise<void> {
    const wanted = Object.fromEntries(
      rules.silence.map((r) => [`${r.ruleId}@${r.ruleVersion}`, r.definition.condition.multiplier]),
    );
    await inTransaction(this.pool, async (tx) => {
      if (!(await tryLock(tx))) return;
      const { rows } = await tx.query<{ value: Record<string, number> }>(
        `select value from ${TABLES.trackerState} where key = 'silence-rules'`,
      );
      const applied = rows[0]?.value ?? {};
      const fresh = Object.entries(wanted).filter(([key]) => !(key in applied));
      if (fresh.length === 0 && Object.keys(applied).length === Object.keys(wanted).length) return;
      for (const multiplier of new Set(fresh.map(([, k]) => k))) {
        const moved = await this.index.bringForward(tx, multiplier);
        this.logger.log(`silence rules changed: ${moved} devices rescheduled for × ${multiplier}`);
      }
      await tx.query(
        `insert into ${TABLES.trackerState} (key, value) values ('silence-rules', $1::jsonb)
         on conflict (key) do update set value = excluded.value`,
        [JSON.stringify(wanted)],
      );
    });
  }

  /** Alerts of rules that were disabled or deleted end with their rule. */
  private async clearRetiredRules(rules: RuleSet): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      if (!(await tryLock(tx))) return;
      const retired = await this.alertState.activeOfRulesOtherThan(
        tx,
        rules.rules.map((r) => r.ruleId),
        CHECK_BATCH,
      );
      if (retired.length === 0) return;
      const slots = new AlertSlots(retired, alertIdFor);
      const now = Date.now();
      const decisions: AlertDecision[] = retired.map((slot) =>
        slot.status === 'open' && slot.alertId
          ? {
              action: 'clear',
              ruleId: slot.ruleId,
              subject: slot.subject,
              deviceId: slot.subject.startsWith('campaign:') ? null : slot.subject,
              alertId: slot.alertId,
              observedAt: now,
              value: null,
              message: 'the rule was disabled or deleted',
              correlationId: null,
            }
          : { action: 'release', ruleId: slot.ruleId, subject: slot.subject },
      );
      decisions.forEach((d) => slots.apply(d));
      await this.writer.apply(decisions, slots, rules, now);
      await this.alertState.save(tx, slots.changes(), () => 'retired');
    });
  }
}

/** One replica tracks at a time; the others skip the round. */
async function tryLock(tx: Tx): Promise<boolean> {
  const { rows } = await tx.query<{ locked: boolean }>(
    `select pg_try_advisory_xact_lock(${LOCKS.tracker}) as locked`,
  );
  return rows[0]?.locked === true;
}
