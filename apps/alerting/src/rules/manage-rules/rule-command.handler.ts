import { ConcurrencyError, PreconditionFailedError, type CommandMetadata } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { ruleStream, type RuleState } from '../rule';
import { ruleDecider, type RuleCommand } from '../rule.decide';
import { RuleRegistry } from '../rule-registry/rule-registry';

/**
 * Runs a rule command (load, decide, append) and waits until this replica's registry shows it,
 * so that the rule evaluates from the next message on and the caller reads what it wrote.
 */
@Injectable()
export class RuleCommandHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly registry: RuleRegistry,
  ) {}

  async execute(command: RuleCommand, metadata: CommandMetadata): Promise<RuleState> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { state, events } = await handleCommand(
          this.store,
          ruleStream(command.ruleId),
          ruleDecider,
          command,
          metadata,
        );
        if (events.length > 0) await this.registry.refresh();
        return state;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if ('expectedVersion' in command && command.expectedVersion !== undefined) {
          throw new PreconditionFailedError(
            `rule ${command.ruleId} changed while the request was decided; read it again`,
            {
              ruleId: command.ruleId,
            },
          );
        }
        if (attempt >= 3) throw error;
      }
    }
  }
}
