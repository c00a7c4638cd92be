import { mapConcurrently } from '@fleet/core';
import { MalformedCycle } from './device/malformed';
import { seededRandom } from './device/random';
import type { FirmwareUpdate } from './device/firmware-update';
import { FleetFirmware } from './firmware/update-agent/fleet-firmware';
import { MqttDevice } from './mqtt-device';
import { SimulatedNetworkServer } from './network-server';
import type { SimulationContext } from './simulation-context';
import {
  checkDevices,
  resolveOptions,
  type FleetSimulatorOptions,
  type SimulatedDevice,
  type SimulatorSettings,
} from './simulator-options';
import { SimulatorStats, type DeviceRecord, type SimulatorCounters } from './simulator-stats';

export type { FleetSimulatorOptions, NetworkServerAccount, SimulatedDevice } from './simulator-options';
export type { FirmwareUpdateOptions, FuotaFailureOptions } from './firmware/firmware-options';
export type { FirmwareUpdate } from './device/firmware-update';
export type { DeviceKind, DeviceRecord, SimulatorCounters } from './simulator-stats';
export { EXPECTED_REJECTION, MALFORMED_KINDS, type MalformedKind } from './device/malformed';

export interface SimulatorSnapshot {
  readonly counters: SimulatorCounters;
  /** Milliseconds since {@link FleetSimulator.start}. */
  readonly elapsedMs: number;
}

/**
 * A fleet of simulated devices over real MQTT, in one process: always-on and sleepy devices each
 * with their own connection and credentials, LoRaWAN devices through one network-server
 * connection. For the CLI (`npm run simulate`), e2e tests and benchmarks:
 *
 *   const simulator = new FleetSimulator(devices, { telemetryIntervalMs: 1000, maxMessages: 5 });
 *   await simulator.start();
 *   await simulator.whenDone();
 *   simulator.device('sim-default-1')?.telemetry; // measuredAt of each uplink the broker has
 *   await simulator.stop();
 */
export class FleetSimulator {
  readonly settings: SimulatorSettings;
  private readonly stats = new SimulatorStats();
  private readonly mqttDevices: MqttDevice[];
  private readonly networkServer?: SimulatedNetworkServer;
  private startedAt = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';

  /** @throws ValidationError for invalid options or devices (duplicate ids, missing secrets...) */
  constructor(devices: readonly SimulatedDevice[], options: FleetSimulatorOptions = {}) {
    this.settings = resolveOptions(options);
    checkDevices(devices, this.settings);
    const context: SimulationContext = {
      settings: this.settings,
      stats: this.stats,
      malformed: new MalformedCycle(this.settings.malformedRate, seededRandom(this.settings.seed)),
    };
    const firmware = new FleetFirmware(this.settings.firmware, this.settings.seed);
    this.mqttDevices = devices
      .filter((d) => d.kind !== 'lorawan')
      .map((d, index) => new MqttDevice(d, context, firmware, index));
    const lorawan = devices.filter((d) => d.kind === 'lorawan');
    const account = this.settings.networkServer;
    if (lorawan.length > 0 && account)
      this.networkServer = new SimulatedNetworkServer(lorawan, context, account);
  }

  /**
   * Connects every device (a limited number at a time) and starts their schedules. Resolves once
   * each first connection is up or was given up after the login timeout (see `counters`).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('a FleetSimulator starts once');
    this.state = 'running';
    this.startedAt = Date.now();
    await Promise.all([
      this.networkServer?.start(),
      mapConcurrently(this.mqttDevices, this.settings.connectConcurrency, (device) => device.start()),
    ]);
  }

  /** Stops schedules, waits for the broker to answer what is in flight, disconnects everything. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await Promise.all([this.networkServer?.stop(), ...this.mqttDevices.map((device) => device.stop())]);
  }

  /**
   * Resolves once every device sent `maxMessages` telemetry uplinks and the broker acknowledged
   * them (never without `maxMessages`).
   * @throws Error when that takes longer than `timeoutMs`
   */
  async whenDone(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.done) {
      if (Date.now() > deadline) throw new Error(`the simulated fleet is not done after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get done(): boolean {
    return this.mqttDevices.every((device) => device.done) && (this.networkServer?.done ?? true);
  }

  snapshot(): SimulatorSnapshot {
    return { counters: this.stats.snapshot(), elapsedMs: this.startedAt ? Date.now() - this.startedAt : 0 };
  }

  /** What one device got through to the broker (live: it keeps growing while running). */
  device(deviceId: string): DeviceRecord | undefined {
    return this.stats.devices.get(deviceId);
  }

  devices(): DeviceRecord[] {
    return [...this.stats.devices.values()];
  }

  /** The firmware an IP device runs and its LwM2M object 5 (live). */
  firmware(deviceId: string): { readonly version: string; readonly update: FirmwareUpdate } | undefined {
    return this.mqttDevices.find((device) => device.deviceId === deviceId)?.firmwareStatus;
  }
}
