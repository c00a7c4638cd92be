import { ConcurrencyError, PreconditionFailedError, type CommandMetadata } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { deviceStream, type DeviceEvent } from '../device';
import { deviceDecider, type DeviceCommand } from '../device.decide';

export interface CommandOutcome {
  readonly deviceId: string;
  /** Twin version after the command (unchanged when it decided nothing). */
  readonly version: number;
  readonly events: readonly DeviceEvent[];
}

const ATTEMPTS = 3;

/**
 * Runs a device command: load, decide, append at the revision decided on. A concurrent change
 * makes it decide again, unless the operator pinned a version with `If-Match`: then it is a 412.
 */
@Injectable()
export class DeviceCommandHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: DeviceCommand, metadata: CommandMetadata): Promise<CommandOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { events, state } = await handleCommand(
          this.store,
          deviceStream(command.deviceId),
          deviceDecider,
          command,
          metadata,
        );
        return { deviceId: command.deviceId, version: state.version, events };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (command.expectedVersion !== undefined) {
          throw new PreconditionFailedError(
            `device ${command.deviceId} changed while the request was decided; read it again and retry`,
            { deviceId: command.deviceId, expectedVersion: command.expectedVersion },
          );
        }
        if (attempt >= ATTEMPTS) throw error;
      }
    }
  }
}
