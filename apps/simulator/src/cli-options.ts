import { Command, InvalidArgumentError, Option } from 'commander';
import type { FailureInjection, FirmwareUpdateOptions } from './firmware/firmware-options';
import type { LorawanFuotaOptions } from './lorawan-fuota/lorawan-fuota-options';

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
  // --- Firmware updates over HTTP (LwM2M object 5) ---
  readonly firmwareTrustedKeys: string;
  readonly fuotaChunkBytes: number;
  readonly fuotaInstallMs: number;
  readonly fuotaMinBattery: number;
  readonly fuotaFailDownload?: number;
  readonly fuotaFailDownloadDevices?: number;
  readonly fuotaFailSignature?: number;
  readonly fuotaFailSignatureDevices?: number;
  readonly fuotaFailInstall?: number;
  readonly fuotaFailInstallDevices?: number;
  readonly fuotaLowBattery?: number;
  readonly fuotaLowBatteryDevices?: number;
  // --- end of firmware updates over HTTP ---
  // --- LoRaWAN multicast firmware sessions ---
  readonly fuotaFragmentLoss: number;
  readonly fuotaClockSkewS: number;
  readonly fuotaApplyMs: number;
  // --- end of LoRaWAN multicast firmware sessions ---
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
  return (
    new Command('simulate')
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
      .option(
        '--interval-ms <ms>',
        'mean time between telemetry uplinks of a device',
        wholeNumber(100),
        10_000,
      )
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
      // --- Firmware updates over HTTP (LwM2M object 5) ---
      .option(
        '--firmware-trusted-keys <dir>',
        'trusted manufacturer keys (<keyId>.pub.pem) packages must be signed with',
        '.local/firmware-keys',
      )
      .option(
        '--fuota-chunk-bytes <n>',
        'bytes per HTTP Range request of a download',
        wholeNumber(256),
        65_536,
      )
      .option(
        '--fuota-install-ms <ms>',
        'how long installing takes before the restart',
        wholeNumber(0),
        3_000,
      )
      .option(
        '--fuota-min-battery <percent>',
        'battery below which a device refuses to install',
        wholeNumber(0, 100),
        10,
      )
      .option(
        '--fuota-fail-download <p>',
        'probability that a download loses its connection for good (result 4)',
        ratio,
      )
      .option('--fuota-fail-download-devices <n>', 'the first n devices always lose it', wholeNumber(0))
      .option('--fuota-fail-signature <p>', 'probability that a package fails verification (result 5)', ratio)
      .option('--fuota-fail-signature-devices <n>', 'the first n devices always fail it', wholeNumber(0))
      .option(
        '--fuota-fail-install <p>',
        'probability that installing crashes: old firmware, result 8',
        ratio,
      )
      .option('--fuota-fail-install-devices <n>', 'the first n devices always crash', wholeNumber(0))
      .option(
        '--fuota-low-battery <p>',
        'probability that the battery is too low to install (result 8)',
        ratio,
      )
      .option('--fuota-low-battery-devices <n>', 'the first n devices always have it too low', wholeNumber(0))
      // --- end of firmware updates over HTTP ---
      // --- LoRaWAN multicast firmware sessions (TS003/TS004/TS005) ---
      .option(
        '--fuota-fragment-loss <p>',
        'probability that a LoRaWAN device misses a multicast fragment',
        ratio,
        0,
      )
      .option(
        '--fuota-clock-skew-s <s>',
        'LoRaWAN device clocks off by up to ± s until clock sync',
        wholeNumber(0, 3_600),
        0,
      )
      .option(
        '--fuota-apply-ms <ms>',
        'from a verified multicast block to the restart on it',
        wholeNumber(0),
        500,
      )
      // --- end of LoRaWAN multicast firmware sessions ---
      .addHelpText(
        'after',
        `
Prints a stats line every 10 s on stderr, and a JSON summary on stdout when it stops.
Examples:
  npm run simulate -- --devices 1000
  npm run simulate -- --devices 50 --fleet e2e --interval-ms 2000 --malformed 0.05 --format mixed --duration-s 60
  npm run simulate -- --devices 20 --lorawan 0 --fuota-fail-install-devices 2 --fuota-fail-download 0.1 --seed 7`,
      )
  );
}

/** The firmware update options of a run (failures only where asked for). */
export function firmwareOptionsOf(cli: CliOptions): FirmwareUpdateOptions {
  const injection = (rate?: number, firstDevices?: number): FailureInjection | undefined =>
    rate === undefined && firstDevices === undefined
      ? undefined
      : { ...(rate === undefined ? {} : { rate }), ...(firstDevices === undefined ? {} : { firstDevices }) };
  const failures = Object.fromEntries(
    Object.entries({
      download: injection(cli.fuotaFailDownload, cli.fuotaFailDownloadDevices),
      signature: injection(cli.fuotaFailSignature, cli.fuotaFailSignatureDevices),
      install: injection(cli.fuotaFailInstall, cli.fuotaFailInstallDevices),
      lowBattery: injection(cli.fuotaLowBattery, cli.fuotaLowBatteryDevices),
    }).filter(([, value]) => value !== undefined),
  );
  return {
    trustedKeysDir: cli.firmwareTrustedKeys,
    chunkBytes: cli.fuotaChunkBytes,
    installMs: cli.fuotaInstallMs,
    minBatteryPercent: cli.fuotaMinBattery,
    failures,
  };
}

/** The LoRaWAN multicast options of a run (the trusted keys are `--firmware-trusted-keys`). */
export function lorawanFuotaOptionsOf(cli: CliOptions): LorawanFuotaOptions {
  return {
    fragmentLoss: cli.fuotaFragmentLoss,
    clockSkewSeconds: cli.fuotaClockSkewS,
    applyDelayMs: cli.fuotaApplyMs,
  };
}

export function parseCli(argv: readonly string[]): CliOptions {
  const program = createProgram();
  program.parse([...argv], { from: 'user' });
  return program.opts<CliOptions>();
}
