import type { Condition, RuleDefinition, RuleKind } from '../rules/rule';

/** An enabled rule as evaluation sees it. */
export interface ActiveRule<C extends Condition = Condition> {
  readonly ruleId: string;
  /** The rule's definition version, recorded by its alerts. */
  readonly ruleVersion: number;
  readonly definition: RuleDefinition & { readonly condition: C };
}

type RulesOfKind<K extends RuleKind> = readonly ActiveRule<Extract<Condition, { kind: K }>>[];

/** The enabled rules, split by kind once so that each evaluation loops over only its own. */
export class RuleSet {
  readonly threshold: RulesOfKind<'threshold'>;
  readonly silence: RulesOfKind<'silence'>;
  readonly rate: RulesOfKind<'rate'>;
  readonly event: RulesOfKind<'event'>;
  readonly drift: RulesOfKind<'drift'>;
  readonly campaignErrorRate: RulesOfKind<'campaign-error-rate'>;
  private readonly byId: ReadonlyMap<string, ActiveRule>;

  constructor(
    readonly rules: readonly ActiveRule[],
    /** Changes whenever the set does, so that caches of scope matches know to start again. */
    readonly generation = 0,
  ) {
    const of = <K extends RuleKind>(kind: K) =>
      rules.filter((r) => r.definition.condition.kind === kind) as unknown as RulesOfKind<K>;
    this.threshold = of('threshold');
    this.silence = of('silence');
    this.rate = of('rate');
    this.event = of('event');
    this.drift = of('drift');
    this.campaignErrorRate = of('campaign-error-rate');
    this.byId = new Map(rules.map((r) => [r.ruleId, r]));
  }

  get(ruleId: string): ActiveRule | undefined {
    return this.byId.get(ruleId);
  }

  /** The smallest silence multiplier: every device's next check is at last seen + this × its interval. */
  get smallestSilenceMultiplier(): number | null {
    return this.silence.length === 0
      ? null
      : Math.min(...this.silence.map((r) => r.definition.condition.multiplier));
  }

  /** The shortest drift rule: a drifting device is next checked this long after it began. */
  get shortestDriftSeconds(): number | null {
    return this.drift.length === 0
      ? null
      : Math.min(...this.drift.map((r) => r.definition.condition.forSeconds));
  }
}
