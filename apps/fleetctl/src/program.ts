import { Command, CommanderError, Option } from 'commander';
import { ApiError, FleetApi, UnreachableError } from './api-client';
import { EXIT_FAILURE, EXIT_USAGE, usageError, type CliFactory } from './cli';
import { registerDeviceCommands } from './commands/device';
import { registerDevicesCommands } from './commands/devices';
import { registerFirmwareCommands } from './commands/firmware';
import { registerFuotaCommands } from './commands/fuota-fragment';
import { issueSupportToken, NoTokenError, TOKEN_HELP } from './token';

export const DEFAULT_URL = 'http://127.0.0.1:3001';

/** Where the CLI writes; raw text, newlines included. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

interface GlobalOptions {
  readonly url: string;
  readonly token?: string;
  readonly json?: boolean;
}

export function createProgram(io: Io, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('fleetctl')
    .description('Who changed what on a device, when and why, and what it looked like then.')
    .addOption(new Option('--url <url>', 'device-twin base URL').env('FLEET_URL').default(DEFAULT_URL))
    .addOption(
      new Option('--token <jwt>', 'bearer token (default: a local development token, role support)').env(
        'FLEET_TOKEN',
      ),
    )
    .option('--json', 'print the raw JSON answer of the API, for scripts')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  fleetctl device show meter-42
  fleetctl device history meter-42 --type DesiredConfigurationChanged --from 2025-03-01 --all
  fleetctl device state meter-42 --at 2025-03-01T12:00:00Z
  fleetctl devices find --status active --battery-below 20 --sort lastSeenAt --order asc
  fleetctl fuota fragment --size 50 --redundancy 10% firmware.bin`,
    );

  const cli: CliFactory = (command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    if (!URL.canParse(options.url) || !/^https?:$/.test(new URL(options.url).protocol)) {
      usageError(command, `--url: "${options.url}" is not an http(s) URL`);
    }
    const api = new FleetApi({
      baseUrl: options.url,
      token: async () => options.token || issueSupportToken(env),
    });
    return {
      api,
      print(body, render) {
        io.stdout(`${options.json ? JSON.stringify(body, null, 2) : render(body)}\n`);
      },
    };
  };
  registerDeviceCommands(program, cli);
  registerDevicesCommands(program, cli);
  registerFuotaCommands(program, io);
  registerFirmwareCommands(program, io, env);
  return program;
}

/** Runs the CLI; @returns the exit code (0 ok, 1 failure, 2 usage). */
export async function run(
  argv: readonly string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    await createProgram(io, env).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  // Commander has printed its message (or the help) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof ApiError) {
    io.stderr(`fleetctl: ${describeApiError(error)}\n`);
    return EXIT_FAILURE;
  }
  if (error instanceof UnreachableError || error instanceof NoTokenError) {
    io.stderr(`fleetctl: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(
    `fleetctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT_FAILURE;
}

export function describeApiError(error: ApiError): string {
  const what = `${error.message} (${error.status} ${error.code})`;
  if (error.status === 401) return `${what}: the token was not accepted; ${TOKEN_HELP}`;
  if (error.status === 403) return `${what}: the token lacks a role allowed here (support or above)`;
  return what;
}
