import {
  decodeCommand,
  decodeDesiredConfiguration,
  deviceTopic,
  parseDeviceTopic,
  type PayloadFormat,
  type UplinkKind,
} from '@fleet/device-protocol';
import { encodeAck, type AckMessage, type CommandEffect } from './device/commands';
import type { DeviceModel } from './device/device-model';
import { malformedPayload } from './device/malformed';
import { encodePack, stateRecords, telemetryRecords, type PackRecord } from './device/senml-pack';
import type { IncomingMessage, MqttLink } from './mqtt-link';
import type { SimulationContext } from './simulation-context';
import type { DeviceRecord } from './simulator-stats';

const SENML_TYPES = { json: 'application/senml+json', cbor: 'application/senml+cbor' } as const;
const ACK_TYPES = { json: 'application/json', cbor: 'application/cbor' } as const;

/**
 * What an MQTT device says and how it answers, on whichever connection it has: telemetry, state,
 * command answers and notifications, each recorded once the broker has it. Tracks its unfinished
 * work so a sleepy device can wait for its answers before going back to sleep.
 */
export class DeviceMessaging {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly deviceId: string,
    private readonly context: SimulationContext,
    private readonly model: DeviceModel,
    private readonly format: PayloadFormat,
    private readonly record: DeviceRecord,
  ) {}

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when everything sent so far is answered by the broker (or failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Measures, then sends a telemetry uplink (or, by the malformed rate, a broken one) and due notifications. */
  sendTelemetry(link: MqttLink): void {
    const time = this.model.timestamp(Date.now());
    const readings = this.model.measure();
    const malformed = this.context.malformed.next();
    const format =
      malformed === 'invalid-json' ? 'json' : malformed === 'invalid-cbor' ? 'cbor' : this.format;
    const payload = malformed
      ? malformedPayload(malformed, time, format)
      : encodePack(telemetryRecords(readings), time, format);
    this.send(link, 'telemetry', payload, this.context.settings.qos, SENML_TYPES[format], () => {
      if (!malformed) {
        this.record.telemetry.push(time);
        return;
      }
      this.record.malformed[malformed]++;
      this.context.stats.counters.malformed[malformed]++;
    });
    for (const notification of this.model.dueNotifications(Date.now())) this.sendAck(link, notification);
  }

  /** `up/state`: firmware version and reported configuration. */
  sendState(link: MqttLink): void {
    const time = this.model.timestamp(Date.now());
    const records = stateRecords(this.model.firmwareVersion, this.model.configuration);
    const payload = encodePack(records, time, this.format);
    this.send(link, 'state', payload, 1, SENML_TYPES[this.format], () => this.record.state.push(time));
  }

  /** `up/fuota`: object 5 as it was at `time` (a state change, possibly reported late after a reboot). */
  sendFirmwareUpdate(link: MqttLink, records: readonly PackRecord[], time: number): void {
    const payload = encodePack(records, time, this.format);
    this.send(link, 'fuota', payload, 1, SENML_TYPES[this.format], () => undefined);
  }

  sendNotifications(link: MqttLink, notifications: readonly AckMessage[]): void {
    for (const notification of notifications) this.sendAck(link, notification);
  }

  /**
   * Handles one downlink: `down/config` is applied and answered with `up/state`, `down/command`
   * answered on `up/ack`. Calls `reboot` once the answer to a reboot is with the broker, and
   * `firmwareChanged` at once when a command changed object 5 (the model already has the change).
   */
  receive(
    link: MqttLink,
    { topic, payload, contentType }: IncomingMessage,
    reboot: () => void,
    firmwareChanged: (effect: Extract<CommandEffect, { kind: 'firmware' }>) => void = () => undefined,
  ): void {
    const address = parseDeviceTopic(topic);
    if (address?.direction !== 'down' || address.deviceId !== this.deviceId) return;
    const { counters } = this.context.stats;
    counters.downlinks++;
    this.record.downlinks++;
    try {
      if (address.kind === 'config') {
        this.model.applyConfiguration(decodeDesiredConfiguration(payload, contentType).desired);
        return this.sendState(link);
      }
      const answer = this.model.handleCommand(decodeCommand(payload, contentType), Date.now());
      if (!answer) counters.expiredCommands++;
      else {
        this.sendAck(link, answer.ack, answer.effect.kind === 'reboot' ? reboot : undefined);
        if (answer.effect.kind === 'firmware') firmwareChanged(answer.effect);
      }
    } catch {
      counters.invalidDownlinks++;
    }
  }

  private sendAck(link: MqttLink, ack: AckMessage, then?: () => void): void {
    this.send(link, 'ack', encodeAck(ack, this.format), 1, ACK_TYPES[this.format], () => {
      this.record.acks++;
      this.context.stats.counters[ack.observation === undefined ? 'acksSent' : 'notificationsSent']++;
      then?.();
    });
  }

  private send(
    link: MqttLink,
    kind: UplinkKind,
    payload: Buffer,
    qos: 0 | 1,
    contentType: string,
    onAcknowledged: () => void,
  ): void {
    const topic = deviceTopic(this.deviceId, 'up', kind);
    const type = this.context.settings.mqttVersion === 5 ? contentType : undefined;
    const work = this.context.stats
      .track(link.publish(topic, payload, qos, type), payload.length)
      .then((ok) => {
        if (ok) onAcknowledged();
      });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}
