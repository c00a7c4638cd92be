import { setTimeout as sleep } from 'node:timers/promises';
import { deviceAclTopicFilters } from '@fleet/device-protocol';
import { jittered, type Random } from './device/random';
import { DeviceMessaging } from './device-messaging';
import { MqttLink } from './mqtt-link';
import { Timers } from './timers';
import {
  deviceModel,
  deviceRandom,
  intervalMs,
  payloadFormatOf,
  type SimulationContext,
} from './simulation-context';
import type { SimulatedDevice } from './simulator-options';
import type { DeviceRecord } from './simulator-stats';
import type { DeviceModel } from './device/device-model';
import type { FirmwareUpdate } from './device/firmware-update';
import type { PackRecord } from './device/senml-pack';
import { FirmwareAgent } from './firmware/update-agent/firmware-agent';
import type { FleetFirmware } from './firmware/update-agent/fleet-firmware';

const RETRY_MS = 500;
const RECONNECT_MS = 2_000;
/** `up/fuota` reports kept while disconnected (a sleepy device, a reboot): the latest ones. */
const MAX_PENDING_FIRMWARE_REPORTS = 16;

/**
 * A device with its own broker connection (username and client id = device id). Always-on: one
 * persistent connection, telemetry every interval, reconnecting when the connection drops. Sleepy:
 * wakes every interval, connects with a kept session (QoS 1 downlinks queue while it sleeps),
 * sends one uplink, listens for the window, disconnects. Both update their firmware over HTTP
 * (LwM2M object 5) and report each change of it on `up/fuota`, when next connected if not now.
 */
export class MqttDevice {
  private link?: MqttLink;
  private readonly timers = new Timers();
  private stopped = false;
  private sent = 0;
  private stateDue = true;
  private rebootDue = false;
  private readonly random: Random;
  private readonly model: DeviceModel;
  private readonly record: DeviceRecord;
  private readonly messaging: DeviceMessaging;
  private readonly firmware: FirmwareAgent;
  private readonly firmwareReports: { readonly time: number; readonly records: PackRecord[] }[] = [];

  /** `index`: the device's place among the run's IP devices (failure injection by `firstDevices`). */
  constructor(
    private readonly device: SimulatedDevice,
    private readonly context: SimulationContext,
    fleetFirmware: FleetFirmware,
    index: number,
  ) {
    this.random = deviceRandom(context, device);
    this.model = deviceModel(context, device, this.random, 'ip');
    this.record = context.stats.add(device.deviceId, device.kind);
    const format = payloadFormatOf(context, this.random);
    this.messaging = new DeviceMessaging(device.deviceId, context, this.model, format, this.record);
    const failures = fleetFirmware.failuresOf(device.deviceId, index);
    this.model.enableFirmwareUpdate({
      minBatteryPercent: fleetFirmware.settings.minBatteryPercent,
      batterySags: () => failures.next('lowBattery'),
    });
    this.firmware = new FirmwareAgent({
      model: this.model,
      fleet: fleetFirmware,
      failures,
      report: () => this.reportFirmware(),
      restart: () => void this.reboot(),
    });
  }

  get deviceId(): string {
    return this.device.deviceId;
  }

  /** The firmware the device runs and its object 5 (tests, the simulator's API). */
  get firmwareStatus(): { readonly version: string; readonly update: FirmwareUpdate } {
    return { version: this.model.firmwareVersion, update: this.model.firmwareUpdate };
  }

  /** True once the device sent its `maxMessages` and the broker answered everything. */
  get done(): boolean {
    return this.sent >= this.context.settings.maxMessages && !this.messaging.busy;
  }

  /** Resolves once the first connection is up (a sleepy device's session exists) or was given up. */
  async start(): Promise<void> {
    const connected = await this.connect(this.context.settings.loginTimeoutMs);
    if (this.device.kind === 'sleepy') return void this.stayAwake(Date.now());
    if (!connected) this.timers.later(RECONNECT_MS, () => this.reconnect());
    this.timers.later(this.random() * this.interval(), () => this.tick());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.stop();
    this.firmware.stop();
    await this.messaging.settled();
    await this.disconnect();
  }

  private interval(): number {
    return jittered(this.random, intervalMs(this.context, this.device), this.context.settings.jitter);
  }

  /** Connects, retrying for `retryForMs` (a new account reaches the broker shortly after provisioning). */
  private async connect(retryForMs: number): Promise<boolean> {
    const { settings, stats } = this.context;
    const { deviceId, secret = '', kind } = this.device;
    const deadline = Date.now() + retryForMs;
    let link: MqttLink;
    for (;;) {
      try {
        link = await MqttLink.open({
          url: settings.mqttUrl,
          clientId: deviceId,
          username: deviceId,
          password: secret,
          protocolVersion: settings.mqttVersion,
          clean: kind !== 'sleepy',
          sessionExpirySeconds: Math.ceil(
            Math.max(3_600, (10 * intervalMs(this.context, this.device)) / 1000),
          ),
          onMessage: (message, via) =>
            this.messaging.receive(
              via,
              message,
              () => void this.reboot(),
              ({ events }) => this.firmware.changed(events),
            ),
          onLost: () => this.onLost(),
        });
        // A kept session still has the subscription (and the messages queued for it).
        if (!link.sessionPresent) await subscribe(link, deviceAclTopicFilters(deviceId).subscribe);
        break;
      } catch (error) {
        this.record.lastError = error instanceof Error ? error.message : String(error);
        if (this.stopped || Date.now() + RETRY_MS > deadline) {
          stats.counters.connectFailures++;
          return false;
        }
        await sleep(RETRY_MS);
      }
    }
    // Stopped while connecting: nobody would close this connection later.
    if (this.stopped) {
      await link.close(true);
      return false;
    }
    this.link = link;
    stats.counters.connects++;
    stats.counters.connected++;
    this.record.online = true;
    // Reports kept while away first: they are older than the state, which must be the last word.
    this.flushFirmwareReports();
    if (this.stateDue) {
      this.stateDue = false;
      this.messaging.sendState(link);
    }
    return true;
  }

  /** Object 5 changed: `up/fuota` now (or when next connected), and notifications to its observers. */
  private reportFirmware(): void {
    const time = this.model.timestamp(Date.now());
    this.firmwareReports.push({ time, records: this.model.firmwareReport() });
    this.firmwareReports.splice(0, this.firmwareReports.length - MAX_PENDING_FIRMWARE_REPORTS);
    this.flushFirmwareReports();
    if (this.link?.connected) {
      this.messaging.sendNotifications(this.link, this.model.firmwareNotifications(Date.now()));
    }
  }

  private flushFirmwareReports(): void {
    const { link } = this;
    if (!link?.connected) return;
    for (const { time, records } of this.firmwareReports.splice(0)) {
      this.messaging.sendFirmwareUpdate(link, records, time);
    }
  }

  private async disconnect(): Promise<void> {
    const { link } = this;
    if (!link) return;
    this.link = undefined;
    this.record.online = false;
    this.context.stats.counters.connected--;
    await link.close();
  }

  private onLost(): void {
    this.link = undefined;
    this.record.online = false;
    this.context.stats.counters.connected--;
    this.context.stats.counters.connectionsLost++;
    if (this.device.kind === 'always-on') this.timers.later(RECONNECT_MS, () => this.reconnect());
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.link) return;
    if (!(await this.connect(0))) this.timers.later(RECONNECT_MS, () => this.reconnect());
  }

  /** Always-on: one telemetry uplink per interval, skipped while the connection is down. */
  private tick(): void {
    if (this.sent >= this.context.settings.maxMessages) return;
    if (this.link?.connected) {
      this.sent++;
      this.messaging.sendTelemetry(this.link);
    } else this.context.stats.counters.uplinksSkipped++;
    this.timers.later(this.interval(), () => this.tick());
  }

  /** Sleepy: the rest of a wake-up once connected; then sleep until the next one. */
  private async stayAwake(wokeAt: number): Promise<void> {
    if (this.link) {
      if (this.sent < this.context.settings.maxMessages) {
        this.sent++;
        this.messaging.sendTelemetry(this.link);
      }
      await sleep(this.context.settings.sleepyListenWindowMs);
      await this.messaging.settled();
      await this.disconnect();
    }
    const rebooting = this.rebootDue;
    this.rebootDue = false;
    const next = rebooting ? this.context.settings.rebootDelayMs : wokeAt + this.interval() - Date.now();
    this.timers.later(Math.max(0, next), async () => {
      const woke = Date.now();
      await this.connect(0);
      await this.stayAwake(woke);
    });
  }

  /**
   * After answering Reboot, or at the end of a firmware installation: a sleepy device reboots when
   * its window ends, an always-on one now. A download or an installation in progress is lost.
   */
  private async reboot(): Promise<void> {
    this.context.stats.counters.reboots++;
    const firmwareEvents = this.model.reboot();
    this.stateDue = true;
    if (this.device.kind === 'sleepy') {
      this.rebootDue = true;
      this.firmware.changed(firmwareEvents);
      return;
    }
    this.timers.clear();
    const disconnected = this.disconnect();
    this.firmware.changed(firmwareEvents);
    await disconnected;
    this.timers.later(this.context.settings.rebootDelayMs, async () => {
      await this.reconnect();
      this.timers.later(this.interval(), () => this.tick());
    });
  }
}

async function subscribe(link: MqttLink, filter: string): Promise<void> {
  try {
    await link.subscribe(filter);
  } catch (error) {
    await link.close(true);
    throw error;
  }
}
