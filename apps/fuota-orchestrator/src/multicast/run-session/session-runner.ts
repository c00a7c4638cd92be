import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNever, mapConcurrently, type Actor, type EventMetadata } from '@fleet/core';
import type { NetworkServerUplink } from '@fleet/device-protocol';
import { Logger } from '@nestjs/common';
import { evolve, type MulticastSessionEvent, type MulticastSessionState } from '../multicast-session';
import { decide, type MulticastSessionCommand } from '../multicast-session.decide';
import type { DownlinkTarget, LorawanNetwork } from '../network-server/network-server.port';
import type { MulticastSessionSink, RecordedSessionEvent } from '../events/session-event-sink.port';
import { appTimeAnswer, dataFragment, setupFrames, statusRequest, type Frame } from '../session-frames';
import { deviceUplinkOf } from '../session-uplinks';

const SERVICE: Actor = { type: 'service', id: 'fuota-orchestrator' };
const SETUP_CONCURRENCY = 32;

export interface SessionRunnerOptions {
  readonly planned: Extract<MulticastSessionEvent, { type: 'MulticastSessionPlanned' }>;
  /** Metadata of the operator's request: actor, reason, correlation id, tenant. */
  readonly metadata: EventMetadata;
  /** The data block: the signed package. */
  readonly block: Uint8Array;
  readonly targets: ReadonlyMap<string, DownlinkTarget>;
  readonly network: LorawanNetwork;
  readonly sink: MulticastSessionSink;
  readonly tickMs: number;
  /** Also told every recorded event, after the sink (campaign progress, metrics). */
  readonly onEvents?: (events: readonly RecordedSessionEvent[]) => void;
  readonly onFinished: (runner: SessionRunner) => void;
}

/**
 * Runs one session: each command (a tick, an uplink, the end of a multicast round) goes through
 * `decide` one at a time; its events are recorded, then carried out: setup and repairs in unicast
 * through the network server's queue, fragments and status requests in multicast, paced.
 */
export class SessionRunner {
  private readonly logger = new Logger(SessionRunner.name);
  private state: MulticastSessionState;
  private queue: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** McKey encrypted for the devices: the join server's job in production (see setupFrames). */
  private readonly mcKeyEncrypted = new Uint8Array(randomBytes(16));

  constructor(private readonly options: SessionRunnerOptions) {
    this.state = evolve({ status: 'none' }, options.planned) as MulticastSessionState;
  }

  get sessionId(): string {
    return this.state.sessionId;
  }

  get current(): MulticastSessionState {
    return this.state;
  }

  /** Records the plan, sends every device its setup, and starts the clock. */
  async start(): Promise<void> {
    const { planned, metadata } = this.options;
    await this.record([planned], metadata);
    this.timer = setInterval(
      () => this.submit({ type: 'Tick', nowMs: Date.now() }, SERVICE),
      this.options.tickMs,
    );
    const frames = setupFrames(this.state, this.mcKeyEncrypted);
    void mapConcurrently([...this.options.targets.values()], SETUP_CONCURRENCY, async (target) => {
      for (const frame of frames) await this.unicast(target, frame);
    });
  }

  /** Whether this session's devices include the uplink's; if so, it is decided on in turn. */
  offer(uplink: NetworkServerUplink): boolean {
    const deviceId = this.state.byDevEui[uplink.devEui];
    const device = deviceId === undefined ? undefined : this.state.devices[deviceId];
    if (!device) return false;
    let decoded;
    try {
      decoded = deviceUplinkOf(uplink, device.model);
    } catch (error) {
      this.logger.warn({ err: error, deviceId, fPort: uplink.fPort }, 'undecodable package answer dropped');
      return true;
    }
    if (decoded)
      this.submit(
        { type: 'ReceiveUplink', deviceId: device.deviceId, uplink: decoded, nowMs: uplink.receivedAt },
        { type: 'device', id: device.deviceId },
        uplink.messageId,
      );
    return true;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Resolves when everything submitted so far has been decided and carried out. */
  settled(): Promise<void> {
    return this.queue;
  }

  private submit(command: MulticastSessionCommand, actor: Actor, causationId: string | null = null): void {
    this.queue = this.queue
      .then(async () => {
        if (this.stopped) return;
        const events = decide(this.state, command);
        if (events.length === 0) return;
        const { metadata } = this.options;
        await this.record(events, {
          ...metadata,
          actor,
          reason: null,
          occurredAt: new Date(command.nowMs).toISOString(),
          causationId,
        });
        for (const event of events) this.carryOut(event);
      })
      .catch((error: unknown) => {
        // Unrecorded decisions are not acted on: the session stops where its stream ends.
        this.logger.error(
          { err: error, sessionId: this.sessionId },
          'multicast session stopped: its events could not be recorded',
        );
        this.stop();
        this.options.onFinished(this);
      });
  }

  private async record(events: readonly MulticastSessionEvent[], metadata: EventMetadata): Promise<void> {
    const recorded = events.map((event) => ({ id: randomUUID(), event, metadata }));
    await this.options.sink.record(this.sessionId, recorded);
    this.state = events.reduce(evolve, this.state) as MulticastSessionState;
    this.options.onEvents?.(recorded);
  }

  private carryOut(event: MulticastSessionEvent): void {
    switch (event.type) {
      case 'MulticastDeviceClockSynced': {
        const target = this.options.targets.get(event.data.deviceId);
        if (target) void this.unicast(target, appTimeAnswer(event.data.timeCorrection, event.data.token));
        return;
      }
      case 'MulticastRoundScheduled':
        void this.multicastRound(event.data.round, event.data.firstN, event.data.lastN);
        return;
      case 'MulticastRoundSent':
        void this.multicast(statusRequest(this.state));
        return;
      case 'MulticastUnicastRepairScheduled': {
        const target = this.options.targets.get(event.data.deviceId);
        if (target) void this.unicastRepair(target, event.data.firstN, event.data.lastN);
        return;
      }
      case 'MulticastSessionFinished':
        this.stop();
        this.options.onFinished(this);
        return;
      // Facts with nothing to send.
      case 'MulticastSessionPlanned':
      case 'MulticastDeviceSetupAnswered':
      case 'MulticastDeviceStatusReported':
      case 'MulticastStatusCollected':
      case 'MulticastDeviceVerified':
      case 'MulticastDeviceFailed':
        return;
      default:
        assertNever(event);
    }
  }

  /** Fragments firstN..lastN, one every fragmentIntervalMs (from the round's start, so delays do not add up). */
  private async multicastRound(round: number, firstN: number, lastN: number): Promise<void> {
    const { fragmentIntervalMs } = this.state.policy;
    const startedAt = Date.now();
    for (let n = firstN; n <= lastN; n += 1) {
      if (this.stopped || this.state.status !== 'multicasting') return;
      const due = startedAt + (n - firstN) * fragmentIntervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      await this.multicast(dataFragment(this.state, this.options.block, n));
    }
    this.submit({ type: 'RecordRoundSent', round, nowMs: Date.now() }, SERVICE);
  }

  /** Coded fragments then a status request, queued in that order for the device's next downlinks. */
  private async unicastRepair(target: DownlinkTarget, firstN: number, lastN: number): Promise<void> {
    for (let n = firstN; n <= lastN; n += 1)
      await this.unicast(target, dataFragment(this.state, this.options.block, n));
    await this.unicast(target, statusRequest(this.state));
  }

  private async unicast(target: DownlinkTarget, frame: Frame): Promise<void> {
    await this.options.network.unicast(target, frame).catch((error: unknown) => {
      // A lost downlink shows up as a missing answer: the session's deadlines deal with it.
      this.logger.warn({ err: error, deviceId: target.deviceId }, 'unicast downlink not sent');
    });
  }

  private async multicast(frame: Frame): Promise<void> {
    await this.options.network.multicast(this.state.group.mcAddr, frame).catch((error: unknown) => {
      this.logger.warn({ err: error, sessionId: this.sessionId }, 'multicast downlink not sent');
    });
  }
}
