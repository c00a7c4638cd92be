/**
 * Where each (rule, subject) pair stands, as the evaluator needs it: at most one open alert per
 * rule and device. `latched` is an alert an operator cleared while its condition still held: no
 * new alert is raised until the condition has ended once (then the slot is `closed` again).
 */
export type SlotStatus = 'open' | 'latched' | 'closed';

export interface AlertSlot {
  readonly ruleId: string;
  /** The device id, or `campaign:<id>` for campaign rules. */
  readonly subject: string;
  readonly status: SlotStatus;
  /** Number of alerts raised so far for the pair; the next one is episode + 1. */
  readonly episode: number;
  /** Id of the latest alert, open or not. */
  readonly alertId: string | null;
}

export type AlertDecision =
  | {
      readonly action: 'raise';
      readonly ruleId: string;
      readonly subject: string;
      readonly deviceId: string | null;
      readonly episode: number;
      /** When the condition was observed (the uplink, the deadline, the event). */
      readonly observedAt: number;
      readonly value: number | null;
      readonly bound: number | null;
      readonly message: string;
      /** The uplink or event that caused the decision, recorded as the alert event's correlation id. */
      readonly correlationId: string | null;
    }
  | {
      readonly action: 'clear';
      readonly ruleId: string;
      readonly subject: string;
      readonly deviceId: string | null;
      readonly alertId: string;
      readonly observedAt: number;
      readonly value: number | null;
      readonly message: string;
      readonly correlationId: string | null;
    }
  /** A latched slot whose condition ended: no event, the slot is closed again. */
  | { readonly action: 'release'; readonly ruleId: string; readonly subject: string };

/**
 * The slots one evaluation reads and changes, in memory; decisions are applied as they are made,
 * so that a batch in which a device crosses a bound twice raises, clears and raises again.
 * `alertIdOf` gives the deterministic id of an episode (rule, subject, episode), computed by the
 * caller so that a replay of the same input raises the very same alerts.
 */
export class AlertSlots {
  /** By subject, then rule: subjects are many, rules few, and no key strings are built per lookup. */
  private readonly slots = new Map<string, Map<string, Entry>>();
  private readonly changed: Entry[] = [];
  private readonly unknown: { ruleId: string; subject: string }[] = [];

  /**
   * @param initial the slots as stored. Slots not given are taken as closed with no episode; a
   *   raise on one of them is reported by {@link unknownRaises}, so that a caller that loaded only
   *   the open slots can load those and evaluate again with their real episode numbers.
   */
  constructor(
    initial: Iterable<AlertSlot>,
    private readonly alertIdOf: (ruleId: string, subject: string, episode: number) => string,
  ) {
    this.add(initial);
  }

  /** Adds stored slots read later (those this evaluation has not changed already). */
  add(stored: Iterable<AlertSlot>): void {
    for (const slot of stored) {
      const entry = this.entry(slot.ruleId, slot.subject);
      if (entry?.changed) continue;
      this.put({ slot, known: true, changed: false });
    }
  }

  /** Whether the stored slot of the pair was given (or added), or decided on. */
  has(ruleId: string, subject: string): boolean {
    return this.entry(ruleId, subject) !== undefined;
  }

  get(ruleId: string, subject: string): AlertSlot {
    return (
      this.entry(ruleId, subject)?.slot ?? { ruleId, subject, status: 'closed', episode: 0, alertId: null }
    );
  }

  /** The pair's status alone: the hot path asks this for every rule of every uplink. */
  status(ruleId: string, subject: string): SlotStatus {
    return this.slots.get(subject)?.get(ruleId)?.slot.status ?? 'closed';
  }

  apply(decision: AlertDecision): void {
    const entry = this.entry(decision.ruleId, decision.subject);
    if (decision.action === 'raise' && !entry)
      this.unknown.push({ ruleId: decision.ruleId, subject: decision.subject });
    const slot = this.get(decision.ruleId, decision.subject);
    const next: AlertSlot =
      decision.action === 'raise'
        ? {
            ...slot,
            status: 'open',
            episode: decision.episode,
            alertId: this.alertIdOf(decision.ruleId, decision.subject, decision.episode),
          }
        : { ...slot, status: 'closed' };
    if (entry?.changed) {
      entry.slot = next;
      return;
    }
    const changed: Entry = { slot: next, known: entry?.known ?? false, changed: true };
    this.put(changed);
    this.changed.push(changed);
  }

  /** The slots decisions changed, to be stored with the decisions' effects. */
  changes(): AlertSlot[] {
    return this.changed.map((e) => e.slot);
  }

  /** Pairs raised without their stored slot having been given (see the constructor). */
  unknownRaises(): { ruleId: string; subject: string }[] {
    return [...this.unknown];
  }

  idOf(ruleId: string, subject: string, episode: number): string {
    return this.alertIdOf(ruleId, subject, episode);
  }

  private entry(ruleId: string, subject: string): Entry | undefined {
    return this.slots.get(subject)?.get(ruleId);
  }

  private put(entry: Entry): void {
    let byRule = this.slots.get(entry.slot.subject);
    if (!byRule) this.slots.set(entry.slot.subject, (byRule = new Map()));
    byRule.set(entry.slot.ruleId, entry);
  }
}

interface Entry {
  slot: AlertSlot;
  readonly known: boolean;
  readonly changed: boolean;
}

/**
 * Hysteresis: raise when the raise condition holds on a closed slot; clear an open alert (or
 * release a latched slot) when the clear condition holds; otherwise nothing changes. Between the
 * two bounds the slot keeps its state, so a value hovering at a bound does not flap.
 */
export function hysteresis(
  status: SlotStatus,
  raiseHolds: boolean,
  clearHolds: boolean,
): 'raise' | 'clear' | 'release' | 'none' {
  if (status === 'closed') return raiseHolds ? 'raise' : 'none';
  if (!clearHolds) return 'none';
  return status === 'open' ? 'clear' : 'release';
}
