import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadTrustedKeys, type TrustedKey } from '@fleet/firmware';
import {
  chirpstackUplinkMessage,
  codecForModel,
  LORAWAN_ANSWER_FPORT,
  LORAWAN_COMMAND_FPORT,
  parseChirpstackDownlink,
} from '@fleet/device-protocol';
import type { DeviceModel } from './device/device-model';
import { answerLorawanCommand, dueLorawanNotifications, type PendingAnswer } from './device/lorawan-commands';
import { jittered, seededRandom, seedOf, type Random } from './device/random';
import { meterRecords, type PackRecord } from './device/senml-pack';
import { eu868DataRate, spreadingFactorFor } from './device/telemetry-model';
import {
  LorawanFuotaDevice,
  type BlockOutcome,
  type Frame,
  type Reaction,
} from './lorawan-fuota/fuota-device';
import { fragmentLossOf, resolveLorawanFuota } from './lorawan-fuota/lorawan-fuota-options';
import { mcAddrOfGroupEui } from './lorawan-fuota/multicast-group';
import { MqttLink, type IncomingMessage } from './mqtt-link';
import { Timers } from './timers';
import { deviceModel, deviceRandom, intervalMs, type SimulationContext } from './simulation-context';
import {
  DEFAULT_APPLICATION_ID,
  DEFAULT_TENANT_ID,
  type NetworkServerAccount,
  type SimulatedDevice,
} from './simulator-options';
import type { DeviceRecord } from './simulator-stats';

/** ChirpStack's MQTT integration: downlinks to enqueue for any device of any application. */
const DOWNLINK_FILTER = 'application/+/device/+/command/down';
const DOWNLINK_TOPIC = /^application\/[^/]+\/device\/([0-9a-fA-F]{16})\/command\/down$/;
const GATEWAYS = ['a84041ffff1f0001', 'a84041ffff1f0002'] as const;
/** FPorts of the LoRaWAN application-layer packages (TS005, TS004, TS003). */
const PACKAGE_PORTS: readonly number[] = [200, 201, 202];
const RECONNECT_MS = 2_000;

interface LoraDevice {
  readonly device: SimulatedDevice;
  readonly devEui: string;
  readonly random: Random;
  /** Replaced when the device restarts on firmware it received over multicast. */
  model: DeviceModel;
  readonly record: DeviceRecord;
  /** Multicast firmware sessions (TS003/TS004/TS005) and their answers, sent before command answers. */
  readonly fuota: LorawanFuotaDevice;
  readonly packageAnswers: Frame[];
  frameCounter: number;
  sent: number;
  /** Answers and notifications for the next uplinks, one per uplink. */
  readonly answers: PendingAnswer[];
  /** Whether a next uplink is scheduled (not once `maxMessages` are sent and nothing is left to answer). */
  ticking: boolean;
}

/**
 * The LoRaWAN side: the devices have no connection of their own; one network-server connection
 * (`ns-chirpstack`) publishes their uplinks as ChirpStack v4 events with the model's codec payload
 * and the gateways' RSSI/SNR, and receives the downlinks ChirpStack would queue for them.
 */
export class SimulatedNetworkServer {
  private link?: MqttLink;
  private stopped = false;
  private readonly timers = new Timers();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly devices = new Map<string, LoraDevice>();
  private readonly applicationId: string;
  private readonly tenantId: string;
  private readonly fuotaSettings;
  private trustedKeys: readonly TrustedKey[] = [];

  constructor(
    devices: readonly SimulatedDevice[],
    private readonly context: SimulationContext,
    private readonly account: NetworkServerAccount,
  ) {
    this.applicationId = account.applicationId ?? DEFAULT_APPLICATION_ID;
    this.tenantId = account.tenantId ?? DEFAULT_TENANT_ID;
    this.fuotaSettings = resolveLorawanFuota(context.settings.lorawanFuota);
    for (const device of devices) {
      const random = deviceRandom(context, device);
      const devEui = (device.devEui ?? '').toLowerCase();
      const model = deviceModel(context, device, random, 'lora');
      const record = context.stats.add(device.deviceId, 'lorawan');
      this.devices.set(devEui, {
        device,
        devEui,
        random,
        model,
        record,
        frameCounter: 0,
        sent: 0,
        answers: [],
        ticking: false,
        fuota: this.fuotaDevice(device.deviceId),
        packageAnswers: [],
      });
    }
  }

  get done(): boolean {
    const max = this.context.settings.maxMessages;
    return (
      this.pending.size === 0 &&
      [...this.devices.values()].every(
        (d) => d.sent >= max && d.answers.length === 0 && d.packageAnswers.length === 0,
      )
    );
  }

  /** Connects (retrying for the login timeout), then each device joins with a firmware frame. */
  async start(): Promise<void> {
    if (this.devices.size === 0) return;
    this.trustedKeys = await loadTrustedKeys(this.context.settings.firmware.trustedKeysDir);
    const deadline = Date.now() + this.context.settings.loginTimeoutMs;
    while (!(await this.connect()) && !this.stopped && Date.now() < deadline) await sleep(500);
    for (const lora of this.devices.values()) {
      this.uplink(lora, [{ path: '/3/0/3', value: lora.model.firmwareVersion }], lora.record.state);
      this.schedule(lora, lora.random() * this.interval(lora));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.stop();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const { link } = this;
    this.link = undefined;
    if (link) {
      this.context.stats.counters.connected--;
      await link.close();
    }
  }

  private interval(lora: LoraDevice): number {
    return jittered(lora.random, intervalMs(this.context, lora.device), this.context.settings.jitter);
  }

  private async connect(): Promise<boolean> {
    const { settings, stats } = this.context;
    let link: MqttLink;
    try {
      link = await MqttLink.open({
        url: settings.mqttUrl,
        clientId: `${this.account.username}-sim-${randomUUID().slice(0, 8)}`,
        username: this.account.username,
        password: this.account.password,
        protocolVersion: settings.mqttVersion,
        clean: true,
        onMessage: (message) => this.onDownlink(message),
        onLost: () => {
          this.link = undefined;
          stats.counters.connected--;
          stats.counters.connectionsLost++;
          this.timers.later(RECONNECT_MS, () => this.reconnect());
        },
      });
      await link.subscribe(DOWNLINK_FILTER).catch(async (error: unknown) => {
        await link.close(true);
        throw error;
      });
    } catch {
      stats.counters.connectFailures++;
      return false;
    }
    if (this.stopped) {
      await link.close(true);
      return false;
    }
    this.link = link;
    stats.counters.connects++;
    stats.counters.connected++;
    return true;
  }

  private async reconnect(): Promise<void> {
    if (!this.stopped && !this.link && !(await this.connect()))
      this.timers.later(RECONNECT_MS, () => this.reconnect());
  }

  private schedule(lora: LoraDevice, delayMs: number): void {
    lora.ticking = true;
    this.timers.later(delayMs, () => this.tick(lora));
  }

  /**
   * One uplink: a pending answer if there is one (class A devices answer with their next uplink),
   * else a measurement while `maxMessages` allows. Answers do not count as messages.
   */
  private tick(lora: LoraDevice): void {
    const packageAnswer = lora.packageAnswers.shift();
    const answer = packageAnswer ? undefined : lora.answers.shift();
    if (packageAnswer)
      this.publish(lora, packageAnswer.fPort, Buffer.from(packageAnswer.bytes), () => undefined);
    else if (answer) this.sendAnswer(lora, answer);
    else if (lora.sent < this.context.settings.maxMessages) {
      lora.sent++;
      this.uplink(lora, meterRecords(lora.model.measure()), lora.record.telemetry);
      lora.answers.push(...dueLorawanNotifications(lora.model, Date.now()));
    } else {
      lora.ticking = false;
      return;
    }
    this.schedule(lora, this.interval(lora));
  }

  private sendAnswer(lora: LoraDevice, answer: PendingAnswer): void {
    const { counters } = this.context.stats;
    this.publish(lora, LORAWAN_ANSWER_FPORT, answer.frame, () => {
      lora.record.acks++;
      counters[answer.notification ? 'notificationsSent' : 'acksSent']++;
      if (!answer.reboot) return;
      // The device restarts and, as after joining, reports its firmware first.
      counters.reboots++;
      lora.model.reboot();
      this.uplink(lora, [{ path: '/3/0/3', value: lora.model.firmwareVersion }], lora.record.state);
    });
  }

  /** Publishes one uplink event of the model's codec; its `time` goes to `sentTimes` once the broker has it. */
  private uplink(lora: LoraDevice, records: PackRecord[], sentTimes: number[]): void {
    const time = lora.model.timestamp(Date.now());
    const { fPort, bytes } = codecForModel(lora.device.model).encode(records);
    this.publish(lora, fPort, bytes, () => sentTimes.push(time), time);
  }

  /** Publishes one ChirpStack uplink event; `onAcknowledged` runs once the broker has it. */
  private publish(
    lora: LoraDevice,
    fPort: number,
    bytes: Buffer,
    onAcknowledged: () => void,
    time = lora.model.timestamp(Date.now()),
  ): void {
    const { link } = this;
    if (!link) {
      this.context.stats.counters.uplinksSkipped++;
      return;
    }
    const { rssi, snr } = lora.model.readings;
    const spreadingFactor = spreadingFactorFor(snr);
    const { topic, payload } = chirpstackUplinkMessage({
      deduplicationId: randomUUID(),
      time,
      tenantId: this.tenantId,
      applicationId: this.applicationId,
      devEui: lora.devEui,
      deviceName: lora.device.deviceId,
      fCnt: lora.frameCounter++,
      fPort,
      data: bytes,
      // Often a second gateway hears the device too, less well; ingestion keeps the best.
      gateways: [
        { gatewayId: GATEWAYS[0], rssi, snr },
        ...(lora.random() < 0.5
          ? [{ gatewayId: GATEWAYS[1], rssi: rssi - 8, snr: Math.max(-20, snr - 3) }]
          : []),
      ],
      spreadingFactor,
      dr: eu868DataRate(spreadingFactor),
    });
    const qos = this.context.settings.qos;
    const work = this.context.stats.track(link.publish(topic, payload, qos), payload.length).then((ok) => {
      if (ok) onAcknowledged();
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /**
   * A downlink ChirpStack would queue: counted; a command frame on the command port is answered
   * with the device's next uplink (class A), which is scheduled if the device had stopped sending.
   */
  private onDownlink({ topic, payload }: IncomingMessage): void {
    const devEui = DOWNLINK_TOPIC.exec(topic)?.[1]?.toLowerCase();
    const mcAddr = devEui === undefined ? undefined : mcAddrOfGroupEui(devEui);
    if (mcAddr !== undefined) return this.onMulticast(mcAddr, payload);
    const lora = devEui === undefined ? undefined : this.devices.get(devEui);
    if (!lora) return;
    const { counters } = this.context.stats;
    counters.downlinks++;
    lora.record.downlinks++;
    try {
      const downlink = parseChirpstackDownlink(payload);
      if (PACKAGE_PORTS.includes(downlink.fPort))
        this.react(lora, lora.fuota.onUnicast(downlink.fPort, downlink.data, Date.now()));
      else if (downlink.fPort !== LORAWAN_COMMAND_FPORT) return;
      else lora.answers.push(answerLorawanCommand(lora.model, downlink.data, Date.now()));
    } catch {
      counters.invalidDownlinks++;
      return;
    }
    if (!lora.ticking && !this.stopped) this.schedule(lora, this.interval(lora));
  }

  // --- LoRaWAN multicast firmware sessions (src/lorawan-fuota) ---

  private fuotaDevice(deviceId: string): LorawanFuotaDevice {
    // Its own stream: losses and clock skew do not shift the device's readings and jitter.
    const random = seededRandom(this.context.settings.seed ^ seedOf(`${deviceId}/lorawan-fuota`));
    const skewMs = (random() * 2 - 1) * this.fuotaSettings.clockSkewSeconds * 1000;
    return new LorawanFuotaDevice({
      clockOffsetMs: Math.round(skewMs),
      fragmentLoss: fragmentLossOf(this.fuotaSettings, deviceId),
      random,
      maxBlockBytes: this.fuotaSettings.maxBlockBytes,
      trustedKeys: () => this.trustedKeys,
    });
  }

  /** A multicast downlink reaches every device whose class C session for the group is open (each may miss it). */
  private onMulticast(mcAddr: string, payload: Buffer): void {
    let downlink;
    try {
      downlink = parseChirpstackDownlink(payload);
    } catch {
      this.context.stats.counters.invalidDownlinks++;
      return;
    }
    const now = Date.now();
    for (const lora of this.devices.values()) {
      try {
        this.react(lora, lora.fuota.onMulticast(mcAddr, downlink.fPort, downlink.data, now));
      } catch {
        this.context.stats.counters.invalidDownlinks++;
        return;
      }
    }
  }

  /** Answers wait for the device's next uplinks (class A); a complete block is applied, or refused, after a while. */
  private react(lora: LoraDevice, reaction: Reaction): void {
    lora.packageAnswers.push(...reaction.answers);
    if (reaction.outcome)
      this.timers.later(this.fuotaSettings.applyDelayMs, () => this.restart(lora, reaction.outcome!));
    if (reaction.answers.length > 0 && !lora.ticking && !this.stopped)
      this.schedule(lora, this.interval(lora));
  }

  /** The device restarts: on the new firmware once verified, else on the old one; either way it reports its version. */
  private restart(lora: LoraDevice, outcome: BlockOutcome): void {
    this.context.stats.counters.reboots++;
    if (outcome.kind === 'apply')
      lora.model = deviceModel(
        this.context,
        { ...lora.device, firmwareVersion: outcome.version },
        lora.random,
        'lora',
      );
    else lora.model.reboot();
    this.uplink(lora, [{ path: '/3/0/3', value: lora.model.firmwareVersion }], lora.record.state);
  }
}
