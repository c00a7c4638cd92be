/** What command modules share: the per-action context and usage-error helpers. */
import { InvalidArgumentError, type Command } from 'commander';
import type { FleetApi } from './api-client';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** What a command action needs: the API and a way to print an answer. */
export interface Cli {
  readonly api: FleetApi;
  /** Prints `body` as JSON with --json, else `render(body)`. */
  print<T>(body: T, render: (body: T) => string): void;
}

/** Builds the {@link Cli} of an action from the global options. */
export type CliFactory = (command: Command) => Cli;

/** Wraps a value parser so that its error becomes a usage error naming the option. */
export function arg<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** A usage error raised by an action (exit code 2, message on stderr like commander's own). */
export function usageError(command: Command, message: string): never {
  return command.error(`error: ${message}`, { exitCode: EXIT_USAGE, code: 'fleetctl.usage' });
}
