import { EVENT_STORE, type EventStore, type GlobalPosition } from '@fleet/event-store';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { RuleSet, type ActiveRule } from '../../evaluation/rule-set';
import { evolveRule, initialRuleState, type ExistingRule, type RuleEvent, type RuleState } from '../rule';

/**
 * Every replica's view of the rules: a fold of the `rule-` streams, read from the store's log in
 * commit order (nothing checkpointed: rules are few, each start folds them all), polled every
 * ALERTING_RULES_REFRESH_MS and refreshed at once after this replica changes a rule.
 */
@Injectable()
export class RuleRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RuleRegistry.name);
  private readonly rules = new Map<string, ExistingRule>();
  private position: GlobalPosition | undefined;
  private current = new RuleSet([], 0);
  private refreshing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<(rules: RuleSet) => void>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.error({ err: error }, 'reading rules failed'));
    }, this.config.ALERTING_RULES_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The enabled rules. */
  get ruleSet(): RuleSet {
    return this.current;
  }

  find(ruleId: string): ExistingRule | undefined {
    const rule = this.rules.get(ruleId);
    return rule && rule.status !== 'deleted' ? rule : undefined;
  }

  list(): ExistingRule[] {
    return [...this.rules.values()]
      .filter((r) => r.status !== 'deleted')
      .sort((a, b) => a.ruleId.localeCompare(b.ruleId));
  }

  onChange(listener: (rules: RuleSet) => void): void {
    this.listeners.add(listener);
  }

  /** Reads what was appended since the last refresh; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.catch(() => undefined).then(() => this.readNew());
    return this.refreshing;
  }

  private async readNew(): Promise<void> {
    let changed = false;
    for (;;) {
      const events = await this.store.readAll({
        ...(this.position ? { after: this.position } : {}),
        streamPrefixes: ['rule-'],
        maxCount: 1_000,
      });
      for (const event of events) {
        const ruleId = event.stream.slice('rule-'.length);
        const state: RuleState = this.rules.get(ruleId) ?? initialRuleState;
        const next = evolveRule(state, event as unknown as RuleEvent);
        if (next.status !== 'none') this.rules.set(ruleId, next);
        this.position = event.position;
        changed = true;
      }
      if (events.length < 1_000) break;
    }
    if (!changed) return;
    const active: ActiveRule[] = [...this.rules.values()]
      .filter((r) => r.status === 'enabled')
      .sort((a, b) => a.ruleId.localeCompare(b.ruleId))
      .map((r) => ({ ruleId: r.ruleId, ruleVersion: r.definitionVersion, definition: r.definition }));
    this.current = new RuleSet(active, this.current.generation + 1);
    this.listeners.forEach((listener) => listener(this.current));
  }
}
