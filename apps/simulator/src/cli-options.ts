import { Command, InvalidArgumentError, Option } from 'commander';

/** What `npm run simulate -- ...` was asked to do. */
export interface CliOptions {
  readonly devices: number;
  readonly fleet: string;
  readonly deviceTwin: string;
  readonly mqtt: string;
  readonly intervalMs: number;
  readonly wakeIntervalS?: number;
  readonly sleepy: number;
  readonly lorawan: number;
  readonly malformed: number;
  readonly format: 'json' | 'cbor' | 'mixed';
  readonly mqttVersion: 4 | 5;
  readonly qos: 0 | 1;
  readonly maxMessages?: number;
  readonly listenWindowMs: number;
  readonly durationS: number;
  readonly seed?: number;
  readonly json: boolean;
}

/** A whole number in [min, max]; the error message names the expectation. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min}${max < 1e15 ? ` to ${max}` : ''}`);
    }
    return number;
  };
}

/** A share 0..1. */
export function ratio(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number >= 0 && number <= 1)) throw new InvalidArgumentError('expected 0..1');
  return number;
}

/** One of a few numbers (commander's `choices` would leave them strings). */
export function oneOf<T extends number>(values: readonly T[]): (value: string) => T {
  return (value) => {
    const found = values.find((v) => String(v) === value.trim());
    if (found === undefined) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return found;
  };
}

export function createProgram(): Command {
  return new Command('simulate')
    .description(
      'Provision (or reuse) a fleet of simulated devices through device-twin and run it over MQTT.',
    )
    .requiredOption('--devices <n>', 'devices in the fleet', wholeNumber(1, 100_000))
    .option(
      '--fleet <name>',
      'fleet name: serials sim-<fleet>-<n>, secrets in .local/simulator/<fleet>.json',
      'default',
    )
    .option('--device-twin <url>', 'device-twin base URL', 'http://127.0.0.1:3001')
    .option('--mqtt <url>', 'broker URL', 'mqtt://127.0.0.1:1883')
    .option('--interval-ms <ms>', 'mean time between telemetry uplinks of a device', wholeNumber(100), 10_000)
    .option(
      '--wake-interval-s <s>',
      'wake interval of new sleepy devices (default: the interval, ≥ 10 s)',
      wholeNumber(10),
    )
    .option('--sleepy <share>', 'share of sleepy devices', ratio, 0.2)
    .option('--lorawan <share>', 'share of LoRaWAN devices (through the ns-chirpstack account)', ratio, 0.1)
    .option('--malformed <rate>', 'probability that an uplink is replaced by a malformed one', ratio, 0)
    .addOption(
      new Option('--format <format>', 'payload format').choices(['json', 'cbor', 'mixed']).default('json'),
    )
    .option('--mqtt-version <4|5>', 'MQTT protocol: 4 = 3.1.1, 5 = 5.0', oneOf([4, 5] as const), 5)
    .option('--qos <0|1>', 'QoS of telemetry uplinks', oneOf([0, 1] as const), 1)
    .option('--max-messages <n>', 'telemetry uplinks per device, then only listen', wholeNumber(0))
    .option(
      '--listen-window-ms <ms>',
      'how long a sleepy device listens after its uplink',
      wholeNumber(0),
      2_000,
    )
    .option('--duration-s <s>', 'stop after this many seconds (0: until SIGINT/SIGTERM)', wholeNumber(0), 0)
    .option('--seed <n>', 'seed of the simulated randomness, to reproduce a run', wholeNumber(0))
    .option('--json', 'print the stats lines as JSON (the final summary is JSON anyway)', false)
    .addHelpText(
      'after',
      `
Prints a stats line every 10 s on stderr, and a JSON summary on stdout when it stops.
Examples:
  npm run simulate -- --devices 1000
  npm run simulate -- --devices 50 --fleet e2e --interval-ms 2000 --malformed 0.05 --format mixed --duration-s 60`,
    );
}

export function parseCli(argv: readonly string[]): CliOptions {
  const program = createProgram();
  program.parse([...argv], { from: 'user' });
  return program.opts<CliOptions>();
}
