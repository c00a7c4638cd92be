import { ConcurrencyError, PreconditionFailedError, type CommandMetadata } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { groupDecider, groupStream, type GroupCommand, type GroupEvent } from '../group';

export interface GroupCommandOutcome {
  readonly name: string;
  /** Group version after the command (unchanged when it decided nothing). */
  readonly version: number;
  readonly events: readonly GroupEvent[];
}

const ATTEMPTS = 3;

const nameOf = (command: GroupCommand): string =>
  command.type === 'DeleteGroup' ? command.name : command.definition.name;

/**
 * Runs a group command: load the stream, decide, append at the revision decided on. A concurrent
 * change makes it decide again (a second define of the same name then fails with 409), unless the
 * operator pinned a version with `If-Match`: then it is a 412.
 */
@Injectable()
export class GroupCommandHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: GroupCommand, metadata: CommandMetadata): Promise<GroupCommandOutcome> {
    const name = nameOf(command);
    for (let attempt = 1; ; attempt++) {
      try {
        const { events, state } = await handleCommand(
          this.store,
          groupStream(name),
          groupDecider,
          command,
          metadata,
        );
        return { name, version: state.version, events };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (command.type !== 'DefineGroup' && command.expectedVersion !== undefined) {
          throw new PreconditionFailedError(
            `group ${name} changed while the request was decided; read it again and retry`,
            { group: name, expectedVersion: command.expectedVersion },
          );
        }
        if (attempt >= ATTEMPTS) throw error;
      }
    }
  }
}
