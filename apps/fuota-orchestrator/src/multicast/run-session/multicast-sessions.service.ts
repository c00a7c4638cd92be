import { randomBytes, randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, type CommandMetadata } from '@fleet/core';
import type { NetworkServerUplink } from '@fleet/device-protocol';
import { decodePackageHeader, sha256Hex } from '@fleet/firmware';
import { withHttpStatus } from '@fleet/observability';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ArtifactCatalogue } from '../../artifacts';
import { MulticastDeviceDirectory } from '../devices/multicast-device-directory';
import { MULTICAST_SESSION_SINK, type MulticastSessionSink } from '../events/session-event-sink.port';
import type { SessionRequest } from '../http/session-request';
import type { MulticastConfig } from '../multicast-config';
import { MULTICAST_CONFIG } from '../multicast-config.token';
import { DEFAULT_MULTICAST_FREQUENCY_HZ, planSession } from '../multicast-plan';
import { replay, type MulticastSessionEvent } from '../multicast-session';
import {
  LORAWAN_NETWORK,
  type DownlinkTarget,
  type LorawanNetwork,
} from '../network-server/network-server.port';
import { selectDevices } from '../session-devices';
import { sessionView, type SessionView } from '../session-view';
import { startSession } from '../start-session';
import { SessionRunner } from './session-runner';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unprocessable = (message: string, details: Record<string, unknown> = {}) =>
  withHttpStatus(new ValidationError(message, details), 422);

/**
 * Multicast sessions of this replica: planned from a request, run until every device is verified
 * or failed, looked up live or, once finished (or after a restart), from their events. Uplinks are
 * taken from the network server's topics only while a session runs.
 */
@Injectable()
export class MulticastSessions implements OnModuleDestroy {
  private readonly logger = new Logger(MulticastSessions.name);
  private readonly runners = new Map<string, SessionRunner>();
  private readonly byDevEui = new Map<string, SessionRunner>();
  private listening?: Promise<() => Promise<void>>;

  constructor(
    @Inject(MULTICAST_CONFIG) private readonly config: MulticastConfig,
    private readonly directory: MulticastDeviceDirectory,
    private readonly catalogue: ArtifactCatalogue,
    @Inject(LORAWAN_NETWORK) private readonly network: LorawanNetwork,
    @Inject(MULTICAST_SESSION_SINK) private readonly sink: MulticastSessionSink,
  ) {}

  /**
   * Plans and starts a session.
   * @throws ValidationError (422) for a plan over the session limit or devices it cannot include, with the reasons
   */
  async create(request: SessionRequest, metadata: CommandMetadata): Promise<SessionView> {
    const { config } = this;
    if (request.devices.length > config.FUOTA_MULTICAST_MAX_DEVICES)
      throw unprocessable(
        `${request.devices.length} devices exceed the ${config.FUOTA_MULTICAST_MAX_DEVICES} of a session (FUOTA_MULTICAST_MAX_DEVICES)`,
      );
    const block = request.artifactId
      ? await this.catalogue.readPackage(request.artifactId)
      : Buffer.from(request.package ?? '', 'base64');
    const header = decodePackageHeader(block);
    if (!header || block.length !== header.length + header.header.size)
      throw unprocessable('the package is truncated: its header does not match its length');
    const version = header.header.version;

    const outcome = planSession({
      blockBytes: block.length,
      dataRate: request.dataRate,
      frequencyHz: request.frequencyHz ?? DEFAULT_MULTICAST_FREQUENCY_HZ,
      redundancyPercent: request.redundancyPercent ?? null,
      expectedLossPercent: request.expectedLossPercent,
      fragmentBytes: request.fragmentBytes ?? null,
      maxSessionSeconds: config.FUOTA_MULTICAST_MAX_SESSION_SECONDS,
    });
    if (!outcome.feasible)
      throw unprocessable(`the multicast plan is refused: ${outcome.reasons.join('; ')}`, {
        reasons: outcome.reasons,
      });

    const selection = selectDevices({
      refs: request.devices,
      found: await this.directory.find(request.devices),
      version,
      defaultApplicationId: config.FUOTA_MULTICAST_APPLICATION_ID,
      busy: (deviceId) => [...this.runners.values()].some((r) => r.current.devices[deviceId] !== undefined),
    });
    if (!selection.ok)
      throw unprocessable(`devices refused: ${selection.problems.join('; ')}`, {
        problems: selection.problems,
      });

    const sessionId = randomUUID();
    const planned = startSession({
      sessionId,
      nowMs: Date.parse(metadata.occurredAt),
      devices: selection.targets.map(({ deviceId, devEui, model }) => ({ deviceId, devEui, model })),
      artifact: {
        artifactId: request.artifactId ?? null,
        version,
        sha256: sha256Hex(block),
        bytes: block.length,
      },
      plan: outcome.plan,
      mcAddr: randomMcAddr(),
      setupWindowMs:
        request.setupWindowSeconds === undefined
          ? config.FUOTA_MULTICAST_SETUP_WINDOW_MS
          : request.setupWindowSeconds * 1000,
      policy: {
        fragmentIntervalMs: config.FUOTA_MULTICAST_FRAGMENT_INTERVAL_MS ?? null,
        startGuardMs: config.FUOTA_MULTICAST_START_GUARD_MS,
        statusWindowMs: config.FUOTA_MULTICAST_STATUS_WINDOW_MS,
        verifyTimeoutMs: config.FUOTA_MULTICAST_VERIFY_TIMEOUT_MS,
        maxMulticastRounds: config.FUOTA_MULTICAST_MAX_ROUNDS,
        unicastRepairMaxFragments: config.FUOTA_MULTICAST_UNICAST_REPAIR_MAX_FRAGMENTS,
        unicastRepairMaxPerDevice: config.FUOTA_MULTICAST_UNICAST_REPAIR_MAX_PER_DEVICE,
        unicastRepairAttempts: config.FUOTA_MULTICAST_UNICAST_REPAIR_ATTEMPTS,
        unicastAnswerWindowMs: config.FUOTA_MULTICAST_UNICAST_ANSWER_WINDOW_MS,
      },
      blockAckDelay: 0,
    }) as Extract<MulticastSessionEvent, { type: 'MulticastSessionPlanned' }>;

    const runner = new SessionRunner({
      planned,
      metadata,
      block,
      targets: new Map<string, DownlinkTarget>(selection.targets.map((t) => [t.deviceId, t])),
      network: this.network,
      sink: this.sink,
      tickMs: config.FUOTA_MULTICAST_TICK_MS,
      onFinished: (finished) => void this.forget(finished),
    });
    this.runners.set(sessionId, runner);
    for (const t of selection.targets) this.byDevEui.set(t.devEui, runner);
    try {
      // Listening first: the first answers may come back as soon as the setup is out.
      await this.listen();
      await runner.start();
    } catch (error) {
      runner.stop();
      await this.forget(runner);
      throw error;
    }
    this.logger.log({ sessionId, devices: selection.targets.length, version }, 'multicast session planned');
    return sessionView(runner.current);
  }

  /** @throws NotFoundError */
  async view(sessionId: string): Promise<SessionView> {
    const live = this.runners.get(sessionId);
    if (live) return sessionView(live.current);
    const state = UUID.test(sessionId)
      ? replay(await this.sink.load(sessionId))
      : { status: 'none' as const };
    if (state.status === 'none')
      throw new NotFoundError(`multicast session ${sessionId} does not exist`, { sessionId });
    return sessionView(state);
  }

  async onModuleDestroy(): Promise<void> {
    for (const runner of this.runners.values()) runner.stop();
    await Promise.all([...this.runners.values()].map((r) => r.settled()));
    this.runners.clear();
    await (
      await this.listening?.catch(() => undefined)
    )?.();
  }

  private listen(): Promise<() => Promise<void>> {
    this.listening ??= this.network
      .listen((uplink) => this.route(uplink))
      .catch((error: unknown) => {
        this.listening = undefined;
        throw error;
      });
    return this.listening;
  }

  private route(uplink: NetworkServerUplink): void {
    this.byDevEui.get(uplink.devEui)?.offer(uplink);
  }

  private async forget(runner: SessionRunner): Promise<void> {
    if (this.runners.get(runner.sessionId) !== runner) return;
    this.runners.delete(runner.sessionId);
    for (const [eui, owner] of this.byDevEui) if (owner === runner) this.byDevEui.delete(eui);
    if (this.runners.size > 0 || !this.listening) return;
    const stop = this.listening;
    this.listening = undefined;
    await (
      await stop.catch(() => undefined)
    )?.();
  }
}

/** A random McAddr (never 0): the group's DevAddr, unique per session. */
function randomMcAddr(): string {
  for (;;) {
    const addr = randomBytes(4).toString('hex');
    if (addr !== '00000000') return addr;
  }
}
