import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  DEFAULT_TENANT,
  mapConcurrently,
  type CommandMetadata,
  type EventMetadata,
} from '@fleet/core';
import {
  EVENT_STORE,
  handleCommand,
  loadAggregate,
  type EventStore,
  type StreamAppend,
} from '@fleet/event-store';
import { Metrics } from '@fleet/observability';
import { Inject, Injectable } from '@nestjs/common';
import type { AlertDecision, AlertSlots } from '../../evaluation/alert-slots';
import type { RuleSet } from '../../evaluation/rule-set';
import {
  alertStream,
  initialAlertState,
  type AlertEvent,
  type AlertRaisedData,
  type AlertState,
} from '../alert';
import { alertDecider, type AlertCommand } from '../alert.decide';

export const ALERTING_ACTOR = { type: 'service', id: 'alerting' } as const;
const APPENDS_PER_COMMIT = 200;

type Decision = Exclude<AlertDecision, { action: 'release' }>;

interface Planned {
  readonly alertId: string;
  readonly decisions: readonly Decision[];
  readonly state: AlertState;
  readonly revision: bigint;
}

/**
 * Turns evaluation decisions into alert events in the store. Called before the evaluator commits
 * the slots and offsets the decisions came from, and idempotent, so that a crash in between only
 * repeats appends that change nothing: a raise appends to a stream that must not exist yet (its id
 * is the episode's), an automatic clear of a cleared alert decides nothing.
 *
 * The decisions of a batch are written in one transaction (`appendMany`): one append per alert
 * holding all its events in order (a batch may raise and clear the same alert). An alert whose
 * stream moved on (a replay after a crash, another replica) is decided again on its stored state.
 */
@Injectable()
export class AlertWriter {
  private readonly raised;
  private readonly cleared;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    metrics: Metrics,
  ) {
    this.raised = metrics.counter('fleet_alerting_alerts_raised_total', 'Alerts raised', [
      'kind',
      'severity',
    ]);
    this.cleared = metrics.counter('fleet_alerting_alerts_cleared_total', 'Alerts cleared', ['how']);
  }

  async apply(
    decisions: readonly AlertDecision[],
    slots: AlertSlots,
    rules: RuleSet,
    decidedAt = Date.now(),
  ): Promise<void> {
    const byAlert = new Map<string, Decision[]>();
    for (const decision of decisions) {
      if (decision.action === 'release') continue;
      const id =
        decision.action === 'raise'
          ? slots.idOf(decision.ruleId, decision.subject, decision.episode)
          : decision.alertId;
      byAlert.set(id, [...(byAlert.get(id) ?? []), decision]);
    }
    if (byAlert.size === 0) return;
    // A raise opens its alert's stream: nothing to read. Clears need the alert's state.
    const planned = await mapConcurrently([...byAlert], 8, async ([alertId, list]): Promise<Planned> => {
      if (list[0]!.action === 'raise')
        return { alertId, decisions: list, state: initialAlertState, revision: -1n };
      const { state, revision } = await loadAggregate(this.store, alertStream(alertId), alertDecider);
      return { alertId, decisions: list, state, revision };
    });
    const appends: StreamAppend[] = [];
    const counted: AlertEvent[][] = [];
    for (const plan of planned) {
      const events = this.eventsOf(plan, rules, decidedAt);
      if (events.length === 0) continue;
      appends.push({
        stream: alertStream(plan.alertId),
        events: events.map(({ event, metadata }) => ({
          id: randomUUID(),
          type: event.type,
          data: { ...event.data },
          metadata,
        })),
        expected: plan.revision < 0n ? 'no_stream' : plan.revision,
      });
      counted.push(events.map((e) => e.event));
    }
    // A storm (a gateway down silences a thousand devices) is written a few hundred alerts per
    // transaction, a few transactions side by side; each append stands alone (idempotent).
    const chunks = Array.from({ length: Math.ceil(appends.length / APPENDS_PER_COMMIT) }, (_, i) =>
      appends.slice(i * APPENDS_PER_COMMIT, (i + 1) * APPENDS_PER_COMMIT),
    );
    const outcomes = (await mapConcurrently(chunks, 4, (chunk) => this.store.appendMany(chunk))).flat();
    const retry: Planned[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) counted[i]!.forEach((event) => this.count(event));
      else retry.push(planned.find((p) => alertStream(p.alertId) === appends[i]!.stream)!);
    });
    // The stream moved on since it was read (or a raise was written before a crash): decide again.
    for (const plan of retry) await this.oneByOne(plan, rules, decidedAt);
  }

  /** The events the decisions produce on the alert, folded from `state` in order. */
  private eventsOf(
    plan: Planned,
    rules: RuleSet,
    decidedAt: number,
  ): { event: AlertEvent; metadata: EventMetadata }[] {
    let state = plan.state;
    const out: { event: AlertEvent; metadata: EventMetadata }[] = [];
    for (const decision of plan.decisions) {
      const metadata = this.metadata(decision, plan.alertId, decidedAt);
      for (const event of alertDecider.decide(this.command(plan.alertId, decision, rules), state)) {
        state = alertDecider.evolve(state, event);
        out.push({ event, metadata: withoutCommandId(metadata) });
      }
    }
    return out;
  }

  private async oneByOne(plan: Planned, rules: RuleSet, decidedAt: number): Promise<void> {
    for (const decision of plan.decisions) {
      for (let attempt = 1; ; attempt++) {
        try {
          const { events } = await handleCommand(
            this.store,
            alertStream(plan.alertId),
            alertDecider,
            this.command(plan.alertId, decision, rules),
            this.metadata(decision, plan.alertId, decidedAt),
          );
          events.forEach((event) => this.count(event));
          break;
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= 3) throw error;
        }
      }
    }
  }

  private command(alertId: string, decision: Decision, rules: RuleSet): AlertCommand {
    if (decision.action === 'clear') {
      return {
        type: 'ClearAlert',
        alertId,
        by: ALERTING_ACTOR.id,
        automatic: true,
        observedAt: decision.observedAt,
        value: decision.value,
        message: decision.message,
      };
    }
    const rule = rules.get(decision.ruleId);
    if (!rule) throw new Error(`rule ${decision.ruleId} decided a raise but is not active`);
    const raised: AlertRaisedData = {
      alertId,
      ruleId: rule.ruleId,
      ruleVersion: rule.ruleVersion,
      ruleName: rule.definition.name,
      ruleKind: rule.definition.condition.kind,
      severity: rule.definition.severity,
      deviceId: decision.deviceId,
      subject: decision.subject,
      episode: decision.episode,
      observedAt: decision.observedAt,
      value: decision.value,
      bound: decision.bound,
      message: decision.message,
    };
    return { type: 'RaiseAlert', alertId, raised };
  }

  private count(event: AlertEvent): void {
    if (event.type === 'AlertRaised')
      this.raised.inc({ kind: event.data.ruleKind, severity: event.data.severity });
    if (event.type === 'AlertCleared')
      this.cleared.inc({ how: event.data.automatic ? 'automatic' : 'operator' });
  }

  private metadata(decision: Decision, alertId: string, at: number): CommandMetadata {
    return {
      commandId: randomUUID(),
      actor: ALERTING_ACTOR,
      reason: decision.message,
      occurredAt: new Date(at).toISOString(),
      correlationId: decision.correlationId ?? alertId,
      causationId: decision.correlationId,
      tenant: DEFAULT_TENANT,
    };
  }
}

/** Event metadata of a decision: its cause (causationId) is the uplink or event that led to it. */
function withoutCommandId(metadata: CommandMetadata): EventMetadata {
  const { actor, reason, occurredAt, correlationId, causationId, tenant } = metadata;
  return { actor, reason, occurredAt, correlationId, causationId, tenant };
}
