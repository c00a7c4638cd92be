import type { DeviceCommand, ResourceValue } from '@fleet/device-protocol';
import { answerCommand, succeeded, valuesAt, type AckMessage, type CommandAnswer } from './commands';
import type { Random } from './random';
import {
  applyDesired,
  configurationRecords,
  UplinkClock,
  type Configuration,
  type PackRecord,
} from './senml-pack';
import {
  initialTelemetry,
  nextTelemetry,
  readingsOf,
  type BatteryModel,
  type RadioProfile,
  type Readings,
  type TelemetryState,
} from './telemetry-model';

export interface DeviceModelOptions {
  readonly firmwareVersion: string;
  readonly profile: RadioProfile;
  readonly configuration: Configuration;
  readonly random: Random;
  readonly battery?: BatteryModel;
}

interface Observation {
  readonly path: string;
  readonly pminMs: number;
  lastAt: number;
}

/**
 * Everything a simulated device knows and decides, without I/O: its measurements, configuration,
 * observations and uplink clock. The connection code asks it what to send and tells it what came.
 */
export class DeviceModel {
  readonly firmwareVersion: string;
  private telemetry: TelemetryState;
  private config: Configuration;
  private readonly clock = new UplinkClock();
  private readonly observations = new Map<string, Observation>();

  constructor(private readonly options: DeviceModelOptions) {
    this.firmwareVersion = options.firmwareVersion;
    this.telemetry = initialTelemetry(options.random, options.profile);
    this.config = options.configuration;
  }

  get readings(): Readings {
    return readingsOf(this.telemetry);
  }

  get configuration(): Configuration {
    return this.config;
  }

  /** A time for the next uplink: strictly later than the previous one of this device. */
  timestamp(now: number): number {
    return this.clock.next(now);
  }

  /** Moves the measurements on by one uplink and returns them. */
  measure(): Readings {
    const { random, profile, battery } = this.options;
    this.telemetry = nextTelemetry(this.telemetry, random, profile, battery);
    return this.readings;
  }

  /** Every resource the device can report, with its current value. */
  resources(): PackRecord[] {
    const r = this.readings;
    return [
      { path: '/3/0/3', value: this.firmwareVersion },
      { path: '/3/0/9', value: r.batteryPercent, unit: '%' },
      { path: '/3303/0/5700', value: r.temperature, unit: 'Cel' },
      { path: '/3331/0/5805', value: r.energyWh, unit: 'Wh' },
      { path: '/4/0/2', value: r.rssi, unit: 'dBm' },
      { path: '/4/0/11', value: r.snr, unit: 'dB' },
      ...configurationRecords(this.config),
    ];
  }

  applyConfiguration(desired: Readonly<Record<string, ResourceValue | null>>): void {
    this.config = applyDesired(this.config, desired);
  }

  /**
   * Answers a command and applies what it changes on the device (configuration, observations);
   * undefined when the command expired before it arrived, which the device ignores. A reboot is
   * left to the caller (it is about the connection), as `effect.kind === 'reboot'`.
   */
  handleCommand(command: DeviceCommand, now: number): CommandAnswer | undefined {
    if (command.expiresAt !== undefined && Date.parse(command.expiresAt) < now) return undefined;
    const answer = answerCommand(command, this.resources());
    const { effect } = answer;
    if (effect.kind === 'configure') this.config = { ...this.config, [effect.key]: effect.value };
    if (effect.kind === 'observe') {
      this.observations.set(effect.token, { path: effect.path, pminMs: effect.pminMs, lastAt: now });
    }
    if (effect.kind === 'cancel-observe') {
      for (const [token, o] of this.observations) if (o.path === effect.path) this.observations.delete(token);
    }
    return answer;
  }

  /** Notifications of the observations whose minimum period has passed (sent with each uplink). */
  dueNotifications(now: number): AckMessage[] {
    const resources = this.resources();
    const due: AckMessage[] = [];
    for (const [token, observation] of this.observations) {
      if (now - observation.lastAt < observation.pminMs) continue;
      observation.lastAt = now;
      due.push({ ...succeeded(token, '2.05', valuesAt(resources, observation.path)), observation: token });
    }
    return due;
  }

  /** A reboot forgets observations, as LwM2M clients do. */
  reboot(): void {
    this.observations.clear();
  }
}
