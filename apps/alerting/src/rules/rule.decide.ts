import {
  assertNever,
  ConflictError,
  IllegalStateError,
  NotFoundError,
  PreconditionFailedError,
} from '@fleet/core';
import {
  evolveRule,
  initialRuleState,
  type ExistingRule,
  type RuleDefinition,
  type RuleEvent,
  type RuleState,
} from './rule';

type WithExpectedVersion = {
  /** Rule version the operator saw (`If-Match`); the command fails with 412 when it moved on. */
  readonly expectedVersion?: number | undefined;
};

export type RuleCommand =
  | { readonly type: 'CreateRule'; readonly ruleId: string; readonly definition: RuleDefinition }
  | ({
      readonly type: 'ReviseRule';
      readonly ruleId: string;
      readonly definition: RuleDefinition;
    } & WithExpectedVersion)
  | ({ readonly type: 'DisableRule'; readonly ruleId: string } & WithExpectedVersion)
  | ({ readonly type: 'EnableRule'; readonly ruleId: string } & WithExpectedVersion)
  | ({ readonly type: 'DeleteRule'; readonly ruleId: string } & WithExpectedVersion);

/** Decides which facts a rule command produces; pure. Repeating a state change is a no-op. */
export function decideRule(command: RuleCommand, state: RuleState): RuleEvent[] {
  const { ruleId } = command;
  if (command.type === 'CreateRule') {
    if (state.status !== 'none') throw new ConflictError(`rule ${ruleId} already exists`, { ruleId });
    return [{ type: 'RuleCreated', data: { ruleId, definition: command.definition } }];
  }
  const rule = existing(state, ruleId);
  if (command.expectedVersion !== undefined && command.expectedVersion !== rule.version) {
    throw new PreconditionFailedError(
      `rule ${ruleId} is at version ${rule.version}, not ${command.expectedVersion}; read it again and retry`,
      { ruleId, version: rule.version, expectedVersion: command.expectedVersion },
    );
  }
  switch (command.type) {
    case 'ReviseRule':
      if (JSON.stringify(command.definition) === JSON.stringify(rule.definition)) return [];
      if (command.definition.condition.kind !== rule.definition.condition.kind) {
        throw new IllegalStateError(
          `rule ${ruleId} is a ${rule.definition.condition.kind} rule; a revision cannot make it a ${command.definition.condition.kind} rule (create a new rule)`,
          { ruleId },
        );
      }
      return [{ type: 'RuleRevised', data: { ruleId, definition: command.definition } }];
    case 'DisableRule':
      return rule.status === 'disabled' ? [] : [{ type: 'RuleDisabled', data: { ruleId } }];
    case 'EnableRule':
      return rule.status === 'enabled' ? [] : [{ type: 'RuleEnabled', data: { ruleId } }];
    case 'DeleteRule':
      return [{ type: 'RuleDeleted', data: { ruleId } }];
    default:
      return assertNever(command);
  }
}

function existing(state: RuleState, ruleId: string): ExistingRule {
  if (state.status === 'none' || state.status === 'deleted') {
    throw new NotFoundError(`rule ${ruleId} not found`, { ruleId });
  }
  return state;
}

export const ruleDecider = { decide: decideRule, evolve: evolveRule, initialState: initialRuleState };
