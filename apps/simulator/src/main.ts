#!/usr/bin/env node
/**
 * Device-fleet simulator: provisions (or reuses) N devices through device-twin, then runs them over
 * MQTT until stopped.
 *
 *   npm run simulate -- --devices 1000 [--sleepy 0.2] [--lorawan 0.1] [--duration-s 60]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { firmwareOptionsOf, lorawanFuotaOptionsOf, parseCli, type CliOptions } from './cli-options';
import { provisionFleet } from './provisioning';
import { FleetSimulator, type FleetSimulatorOptions, type SimulatorSnapshot } from './simulator';

const STATS_EVERY_MS = 10_000;
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(options: CliOptions): Promise<void> {
  const { findRepoRoot, issueDevToken } = await import('@fleet/auth');
  const devices = await provisionFleet({
    fleet: options.fleet,
    devices: options.devices,
    sleepyShare: options.sleepy,
    lorawanShare: options.lorawan,
    wakeIntervalSeconds: options.wakeIntervalS ?? Math.max(10, Math.round(options.intervalMs / 1000)),
    baseUrl: options.deviceTwin,
    directory: join(findRepoRoot(), '.local', 'simulator'),
    token: async () =>
      process.env['FLEET_TOKEN'] || issueDevToken({ role: 'operator', subject: 'simulator', ttl: '12h' }),
    log: err,
  });
  if (devices.length === 0) throw new Error(`no device of fleet ${options.fleet} could be provisioned`);
  const simulator = new FleetSimulator(devices, {
    mqttUrl: options.mqtt,
    telemetryIntervalMs: options.intervalMs,
    mqttVersion: options.mqttVersion,
    format: options.format,
    qos: options.qos,
    sleepyListenWindowMs: options.listenWindowMs,
    malformedRate: options.malformed,
    firmware: firmwareOptionsOf(options),
    lorawanFuota: lorawanFuotaOptionsOf(options),
    ...(options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(await networkServer(devices.some((d) => d.kind === 'lorawan'))),
  });

  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        // A second signal means "now": do not wait for in-flight messages.
        process.once(signal, () => process.exit(130));
        resolve(signal);
      });
    }
    // Unreferenced: a run stopped by a signal must not wait for the duration to end.
    if (options.durationS > 0)
      void sleep(options.durationS * 1000, undefined, { ref: false }).then(() => resolve('duration'));
  });
  err(`simulator: connecting ${devices.length} devices to ${options.mqtt}`);
  await Promise.race([simulator.start(), stopped]);
  let previous = simulator.snapshot();
  const timer = setInterval(() => {
    const current = simulator.snapshot();
    err(options.json ? JSON.stringify(current) : statsLine(current, previous));
    previous = current;
  }, STATS_EVERY_MS);
  const reason = await stopped;
  clearInterval(timer);
  err(`simulator: stopping (${reason})`);
  await simulator.stop();
  process.stdout.write(`${JSON.stringify(summary(simulator, options), null, 2)}\n`);
}

/** The network server's broker account: NS_CHIRPSTACK_PASSWORD, or the local broker's. */
async function networkServer(needed: boolean): Promise<Pick<FleetSimulatorOptions, 'networkServer'>> {
  if (!needed) return {};
  const password =
    process.env['NS_CHIRPSTACK_PASSWORD'] ||
    (await import('@fleet/platform')).localMqttPassword('ns-chirpstack');
  return { networkServer: { username: 'ns-chirpstack', password } };
}

function statsLine({ counters: c, elapsedMs }: SimulatorSnapshot, previous: SimulatorSnapshot): string {
  const seconds = (elapsedMs - previous.elapsedMs) / 1000 || 1;
  const rate = (c.uplinksAcknowledged - previous.counters.uplinksAcknowledged) / seconds;
  const malformed = Object.values(c.malformed).reduce((sum, n) => sum + n, 0);
  return (
    `[${Math.round(elapsedMs / 1000)}s] ${c.devices} devices, ${c.connected} connections · uplinks ${c.uplinksAcknowledged} ` +
    `(${rate.toFixed(1)}/s) failed ${c.uplinksFailed} skipped ${c.uplinksSkipped} malformed ${malformed} · ` +
    `downlinks ${c.downlinks} acks ${c.acksSent} · lost ${c.connectionsLost} refused ${c.connectFailures}`
  );
}

function summary(simulator: FleetSimulator, options: CliOptions) {
  const { counters, elapsedMs } = simulator.snapshot();
  const records = simulator.devices();
  const kinds = Object.fromEntries(
    (['always-on', 'sleepy', 'lorawan'] as const).map((kind) => [
      kind,
      records.filter((r) => r.kind === kind).length,
    ]),
  );
  const failing = records.filter((r) => r.lastError !== null && r.telemetry.length === 0);
  return {
    fleet: options.fleet,
    elapsedMs,
    devices: kinds,
    uplinksPerSecond: Math.round((counters.uplinksAcknowledged / Math.max(1, elapsedMs / 1000)) * 10) / 10,
    counters,
    neverConnected: failing.slice(0, 20).map((r) => ({ deviceId: r.deviceId, error: r.lastError })),
  };
}

main(parseCli(process.argv.slice(2))).catch((error: unknown) => {
  err(`simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
