import type { AlertSlot, SlotStatus } from '../../evaluation/alert-slots';
import { textArray } from './array-literals';
import type { Tx } from './transaction';

interface SlotRow {
  rule_id: string;
  subject: string;
  status: SlotStatus;
  episode: number;
  alert_id: string | null;
}

const toSlot = (r: SlotRow): AlertSlot => ({
  ruleId: r.rule_id,
  subject: r.subject,
  status: r.status,
  episode: r.episode,
  alertId: r.alert_id,
});

/**
 * The evaluators' alert slots (one row per rule and subject that ever alerted), read and written
 * inside the transaction of the batch or check that changes them, rows locked while it decides.
 */
export class AlertStateStore {
  constructor(private readonly table: string) {}

  /** Open and latched slots of these subjects (the partial index keeps this cheap per batch). */
  async activeOf(tx: Tx, subjects: readonly string[]): Promise<AlertSlot[]> {
    if (subjects.length === 0) return [];
    const { rows } = await tx.query<SlotRow>(
      `select rule_id, subject, status, episode, alert_id::text from ${this.table}
       where subject = any($1::text[]) and status <> 'closed' for update`,
      [textArray(subjects)],
    );
    return rows.map(toSlot);
  }

  /** Slots of exact (rule, subject) pairs, whatever their status. */
  async of(tx: Tx, keys: readonly { ruleId: string; subject: string }[]): Promise<AlertSlot[]> {
    if (keys.length === 0) return [];
    const { rows } = await tx.query<SlotRow>(
      `select s.rule_id, s.subject, s.status, s.episode, s.alert_id::text from ${this.table} s
       join unnest($1::text[], $2::text[]) k(rule_id, subject) using (rule_id, subject) for update of s`,
      [keys.map((k) => k.ruleId), keys.map((k) => k.subject)],
    );
    return rows.map(toSlot);
  }

  async save(tx: Tx, slots: readonly AlertSlot[], kindOf: (ruleId: string) => string): Promise<void> {
    if (slots.length === 0) return;
    await tx.query(
      `insert into ${this.table} (rule_id, subject, status, episode, alert_id, rule_kind, updated_at)
       select * , now() from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::uuid[], $6::text[])
       on conflict (rule_id, subject) do update set status = excluded.status, episode = excluded.episode,
         alert_id = excluded.alert_id, updated_at = now()`,
      [
        slots.map((s) => s.ruleId),
        slots.map((s) => s.subject),
        slots.map((s) => s.status),
        slots.map((s) => s.episode),
        slots.map((s) => s.alertId),
        slots.map((s) => kindOf(s.ruleId)),
      ],
    );
  }

  /** An operator cleared the alert: its slot latches until the condition ends (see AlertSlots). */
  async latch(tx: Tx, alertId: string): Promise<void> {
    await tx.query(
      `update ${this.table} set status = 'latched', updated_at = now() where alert_id = $1 and status = 'open'`,
      [alertId],
    );
  }

  /** Open or latched slots of rules that are no longer enabled (to be cleared). */
  async activeOfRulesOtherThan(
    tx: Tx,
    enabledRuleIds: readonly string[],
    limit: number,
  ): Promise<AlertSlot[]> {
    const { rows } = await tx.query<SlotRow>(
      `select rule_id, subject, status, episode, alert_id::text from ${this.table}
       where status <> 'closed' and not (rule_id = any($1::text[])) limit $2 for update skip locked`,
      [enabledRuleIds, limit],
    );
    return rows.map(toSlot);
  }
}
