import type { DeviceFacts } from '../../devices/device-facts';
import type { ScopedWindow } from '../suppression';
import { suppressedUntil } from '../suppression';
import type { AlertDecision, AlertSlots } from '../alert-slots';
import type { ActiveRule, RuleSet } from '../rule-set';
import type { AlertStateStore } from '../../storage/postgres/alert-state.store';
import type { Tx } from '../../storage/postgres/transaction';

/** What the events of one batch share while they are handled in its transaction. */
export class EventBatch {
  readonly decisions: AlertDecision[] = [];
  /** Devices whose facts the batch changed: the directory's cache forgets them once it committed. */
  readonly touchedDevices = new Set<string>();

  constructor(
    readonly tx: Tx,
    readonly rules: RuleSet,
    readonly slots: AlertSlots,
    private readonly alertState: AlertStateStore,
    private readonly windows: readonly ScopedWindow[],
    readonly now: number,
  ) {}

  /** Makes the stored slots of these pairs known to {@link slots} before deciding on them. */
  async loadSlots(ruleIds: readonly string[], subject: string): Promise<void> {
    const missing = ruleIds.filter((ruleId) => !this.slots.has(ruleId, subject));
    if (missing.length === 0) return;
    this.slots.add(
      await this.alertState.of(
        this.tx,
        missing.map((ruleId) => ({ ruleId, subject })),
      ),
    );
  }

  /** Open and latched slots of a subject, whatever the rule. */
  async loadActive(subject: string): Promise<void> {
    this.slots.add(await this.alertState.activeOf(this.tx, [subject]));
  }

  record(decisions: readonly AlertDecision[]): void {
    this.decisions.push(...decisions);
  }

  readonly suppressedUntil = (rule: ActiveRule, facts: DeviceFacts | null, at: number): number | null =>
    suppressedUntil(rule, facts, this.windows, at);
}
