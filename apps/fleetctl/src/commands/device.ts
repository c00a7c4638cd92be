import { Option, type Command } from 'commander';
import type { HistoryQuery } from '../api-client';
import { formatHistory, formatState, formatTwin } from '../format';
import { parseInteger, parseIsoTime } from '../parse';
import { arg, usageError, type CliFactory } from '../cli';

interface HistoryOptions {
  readonly type?: string[];
  readonly actor?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
  readonly all?: boolean;
}

interface StateOptions {
  readonly at?: string;
  readonly version?: number;
}

/** `fleetctl device show|history|state <id>`: one device, now or as it was. */
export function registerDeviceCommands(program: Command, cli: CliFactory): void {
  const device = program.command('device').description('one device: its twin, its history, its past states');

  device
    .command('show')
    .description('the twin: identity, status, desired/reported configuration, who set it, connectivity')
    .argument('<id>', 'device id')
    .action(async (id: string, _options: object, command: Command) => {
      const { api, print } = cli(command);
      print(await api.getDevice(id), (twin) => formatTwin(twin));
    });

  device
    .command('history')
    .description('the audit trail: version | time | type | actor | reason | correlation id')
    .argument('<id>', 'device id')
    .option('--type <type...>', 'only these event types, e.g. DeviceSuspended DesiredConfigurationChanged')
    .option('--actor <id>', 'only events by this actor (user, service or job id)')
    .option('--from <iso>', 'only events at or after this time', arg(parseIsoTime))
    .option('--to <iso>', 'only events at or before this time', arg(parseIsoTime))
    .option('--limit <n>', 'events per page', arg(parseInteger))
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow nextCursor and print every page')
    .action(async (id: string, options: HistoryOptions, command: Command) => {
      if (options.from && options.to && options.from > options.to) {
        usageError(command, `--from ${options.from} is after --to ${options.to}`);
      }
      const { api, print } = cli(command);
      const query: HistoryQuery = {
        type: options.type,
        actor: options.actor,
        from: options.from,
        to: options.to,
        limit: options.limit,
        cursor: options.cursor,
      };
      const page = options.all ? await api.fullHistory(id, query) : await api.history(id, query);
      print(page, (p) => {
        const more = p.nextCursor ? `\nmore: add --all, or --cursor ${p.nextCursor}` : '';
        return `${formatHistory(p.entries)}${more}`;
      });
    });

  device
    .command('state')
    .description('the twin as it was at a time or a version (rebuilt from the history)')
    .argument('<id>', 'device id')
    .addOption(new Option('--at <iso>', 'point in time').argParser(arg(parseIsoTime)).conflicts('version'))
    .addOption(new Option('--version <n>', 'twin version').argParser(arg(parseInteger)))
    .action(async (id: string, options: StateOptions, command: Command) => {
      const at =
        options.at !== undefined
          ? { at: options.at }
          : options.version !== undefined
            ? { version: options.version }
            : usageError(command, 'give --at <iso> or --version <n>');
      const { api, print } = cli(command);
      print(await api.state(id, at), formatState);
    });
}
