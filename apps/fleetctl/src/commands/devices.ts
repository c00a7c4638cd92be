import { Option, type Command } from 'commander';
import { arg, type CliFactory } from '../cli';
import { formatDeviceList } from '../format';
import { parseInteger, parseIsoTime, parsePercent } from '../parse';

const STATUSES = ['provisioned', 'active', 'suspended', 'quarantined', 'decommissioned'];

interface FindOptions {
  readonly manufacturer?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly firmware?: string;
  readonly tag?: string[];
  readonly status?: string;
  readonly region?: string;
  readonly lastSeenBefore?: string;
  readonly lastSeenAfter?: string;
  readonly batteryBelow?: number;
  readonly group?: string;
  readonly at?: string;
  readonly sort?: string;
  readonly order?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** `fleetctl devices find`: search the fleet, now or as it was at a time. */
export function registerDevicesCommands(program: Command, cli: CliFactory): void {
  const devices = program.command('devices').description('many devices');

  devices
    .command('find')
    .description(
      'devices matching every given filter: id | serial | model | firmware | status | last seen | battery',
    )
    .option('--manufacturer <name>', 'manufacturer')
    .option('--model <name>', 'model')
    .option('--serial <serial>', 'serial number')
    .option('--firmware <version>', 'firmware version')
    .option('--tag <tag...>', 'has all these tags')
    .addOption(new Option('--status <status>', 'lifecycle status').choices(STATUSES))
    .option('--region <region>', 'band plan, e.g. EU868')
    .option('--last-seen-before <iso>', 'last uplink before this time', arg(parseIsoTime))
    .option('--last-seen-after <iso>', 'last uplink after this time', arg(parseIsoTime))
    .option('--battery-below <percent>', 'battery below this percentage', arg(parsePercent))
    .option('--group <id>', 'member of this device group')
    .option('--at <iso>', 'match the fleet as it was at this time', arg(parseIsoTime))
    .option('--sort <field>', 'sort field, e.g. lastSeenAt, serial')
    .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']))
    .option('--limit <n>', 'devices per page', arg(parseInteger))
    .option('--cursor <cursor>', 'continue after a previous page (next cursor)')
    .action(async (options: FindOptions, command: Command) => {
      const { api, print } = cli(command);
      const list = await api.findDevices({ ...options });
      print(list, formatDeviceList);
    });
}
