import { checkValue, findResource, type DeviceCommand, type ResourceValue } from '@fleet/device-protocol';
import {
  answerCommand,
  failed,
  PACKAGE_URI_PATH,
  succeeded,
  UPDATE_PATH,
  valuesAt,
  type AckMessage,
  type CommandAnswer,
} from './commands';
import {
  decideFirmwareUpdate,
  evolveFirmwareUpdate,
  firmwareUpdateRecords,
  initialFirmwareUpdate,
  type FirmwareUpdate,
  type FirmwareUpdateCommand,
  type FirmwareUpdateDecision,
  type FirmwareUpdateEvent,
} from './firmware-update';
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

/** How a device that updates its firmware over HTTP (LwM2M object 5) decides to install. */
export interface FirmwareUpdatePolicy {
  /** Below this battery level (%) the device refuses to install: Update Result 8. */
  readonly minBatteryPercent: number;
  /**
   * Injected failure, asked at each Execute Update: true when the battery sags under the load of
   * flashing, so the device measures it below the minimum whatever it reported before.
   */
  readonly batterySags?: () => boolean;
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
  private version: string;
  private telemetry: TelemetryState;
  private config: Configuration;
  private readonly clock = new UplinkClock();
  private readonly observations = new Map<string, Observation>();
  private firmwarePolicy?: FirmwareUpdatePolicy;
  private update: FirmwareUpdate = initialFirmwareUpdate;

  constructor(private readonly options: DeviceModelOptions) {
    this.version = options.firmwareVersion;
    this.telemetry = initialTelemetry(options.random, options.profile);
    this.config = options.configuration;
  }

  /** The firmware the device runs (/3/0/3). */
  get firmwareVersion(): string {
    return this.version;
  }

  /** LwM2M object 5, when the device supports firmware updates over HTTP. */
  get firmwareUpdate(): FirmwareUpdate {
    return this.update;
  }

  /** Turns on object 5 (pull over HTTP): Write /5/0/1 and Execute /5/0/2 are answered, /5/0/* read. */
  enableFirmwareUpdate(policy: FirmwareUpdatePolicy): void {
    this.firmwarePolicy = policy;
  }

  /** Runs one step of the object 5 state machine; a completed update changes the firmware version. */
  updateFirmware(command: FirmwareUpdateCommand): FirmwareUpdateDecision {
    const decision = decideFirmwareUpdate(this.update, command);
    for (const event of decision.events) {
      this.update = evolveFirmwareUpdate(this.update, event);
      if (event.type === 'FirmwareUpdated') this.version = event.firmwareVersion;
    }
    return decision;
  }

  /**
   * An `up/fuota` pack: state, result, package name and version when known, and the firmware the
   * device runs (which tells the platform whether an update took). Not the Package URI: it carries
   * the download token, which telemetry has no business keeping.
   */
  firmwareReport(): PackRecord[] {
    return [
      ...firmwareUpdateRecords(this.update).filter((r) => r.path !== PACKAGE_URI_PATH),
      { path: '/3/0/3', value: this.version },
    ];
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
      ...(this.firmwarePolicy ? firmwareUpdateRecords(this.update) : []),
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
    if (this.firmwarePolicy && isFirmwareUpdateCommand(command)) return this.answerFirmware(command);
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
    return this.notifications(now, () => true);
  }

  /** Object 5 changed: LwM2M notifies observers of it at once, their minimum period permitting. */
  firmwareNotifications(now: number): AckMessage[] {
    return this.notifications(now, (path) => path === '/5' || path.startsWith('/5/'));
  }

  private notifications(now: number, observed: (path: string) => boolean): AckMessage[] {
    const resources = this.resources();
    const due: AckMessage[] = [];
    for (const [token, observation] of this.observations) {
      if (!observed(observation.path) || now - observation.lastAt < observation.pminMs) continue;
      observation.lastAt = now;
      due.push({ ...succeeded(token, '2.05', valuesAt(resources, observation.path)), observation: token });
    }
    return due;
  }

  /**
   * A reboot forgets observations, as LwM2M clients do, and ends a download or an installation in
   * progress; returns what that changed in object 5.
   */
  reboot(): readonly FirmwareUpdateEvent[] {
    this.observations.clear();
    return this.updateFirmware({ kind: 'Restart' }).events;
  }

  /** Write /5/0/1 and Execute /5/0/2: 2.04, or the state machine's refusal. */
  private answerFirmware(command: FirmwareUpdateCommandDownlink): CommandAnswer {
    const { id } = command;
    let request: FirmwareUpdateCommand;
    if (command.op === 'write') {
      try {
        checkValue(PACKAGE_URI_PATH, findResource(PACKAGE_URI_PATH)!, command.value);
      } catch (error) {
        return { ack: failed(id, '4.00', (error as Error).message), effect: { kind: 'none' } };
      }
      request = { kind: 'WritePackageUri', uri: String(command.value) };
    } else {
      request = { kind: 'ExecuteUpdate', ...this.batteryForUpdate() };
    }
    const { events, refusal } = this.updateFirmware(request);
    const ack = refusal ? failed(id, refusal.code, refusal.reason) : succeeded(id, '2.04');
    return { ack, effect: { kind: 'firmware', events } };
  }

  private batteryForUpdate(): { batteryPercent: number; minBatteryPercent: number } {
    const { minBatteryPercent, batterySags } = this.firmwarePolicy!;
    const measured = this.readings.batteryPercent;
    if (!batterySags?.()) return { batteryPercent: measured, minBatteryPercent };
    const minimum = Math.max(1, minBatteryPercent);
    return { batteryPercent: Math.min(measured, minimum - 1), minBatteryPercent: minimum };
  }
}

type FirmwareUpdateCommandDownlink = Extract<DeviceCommand, { op: 'write' | 'execute' }>;

function isFirmwareUpdateCommand(command: DeviceCommand): command is FirmwareUpdateCommandDownlink {
  return (
    (command.op === 'write' && command.path === PACKAGE_URI_PATH) ||
    (command.op === 'execute' && command.path === UPDATE_PATH)
  );
}
