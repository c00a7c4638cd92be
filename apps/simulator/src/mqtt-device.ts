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

const RETRY_MS = 500;
const RECONNECT_MS = 2_000;

/**
 * A device with its own broker connection (username and client id = device id). Always-on: one
 * persistent connection, telemetry every interval, reconnecting when the connection drops. Sleepy:
 * wakes every interval, connects with a kept session (QoS 1 downlinks queue while it sleeps),
 * sends one uplink, listens for the window, disconnects.
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

  constructor(
    private readonly device: SimulatedDevice,
    private readonly context: SimulationContext,
  ) {
    this.random = deviceRandom(context, device);
    this.model = deviceModel(context, device, this.random, 'ip');
    this.record = context.stats.add(device.deviceId, device.kind);
    const format = payloadFormatOf(context, this.random);
    this.messaging = new DeviceMessaging(device.deviceId, context, this.model, format, this.record);
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
          onMessage: (message, via) => this.messaging.receive(via, message, () => void this.reboot()),
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
    if (this.stateDue) {
      this.stateDue = false;
      this.messaging.sendState(link);
    }
    return true;
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

  /** After answering Reboot: a sleepy device reboots when its window ends, an always-on one now. */
  private async reboot(): Promise<void> {
    this.context.stats.counters.reboots++;
    this.model.reboot();
    this.stateDue = true;
    if (this.device.kind === 'sleepy') {
      this.rebootDue = true;
      return;
    }
    this.timers.clear();
    await this.disconnect();
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
