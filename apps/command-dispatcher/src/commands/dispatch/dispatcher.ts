import { backoffDelay, type EventMetadata } from '@fleet/core';
import type { MqttConnection } from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { MQTT_CONNECTION, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import type { RequestedCommand } from '../command';
import { buildDownlink, type Downlink, type NetworkServerSettings } from '../downlink';
import { checkGates, DEFAULT_GATE_POLICY, type GatePolicy } from '../gates';
import { CommandLedger, type Decision } from '../store/command-ledger';

const SERVICE_ACTOR = { type: 'service', id: 'command-dispatcher' } as const;
const LEADER_LOCK = 'command-dispatcher-sender';

/**
 * Sends queued commands to devices that can take them, and ends those that time out or expire.
 * One replica sends at a time (a PostgreSQL advisory lock), so "one command in flight per device"
 * holds across replicas; the others take requests and answers and stand by.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Dispatcher.name);
  readonly gatePolicy: GatePolicy;
  readonly networkServer: NetworkServerSettings;
  private leader?: PoolClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private pendingDevices = new Set<string>();
  private sweepAll = true;
  private stopped = false;
  private readonly sent;
  private readonly latency;

  constructor(
    private readonly ledger: CommandLedger,
    private readonly devices: DeviceDirectory,
    @Inject(MQTT_CONNECTION) private readonly mqtt: MqttConnection,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
    metrics: Metrics,
  ) {
    this.gatePolicy = {
      ...DEFAULT_GATE_POLICY,
      minBatteryPercentForHeavy: config.MIN_BATTERY_FOR_HEAVY_PERCENT,
      airtimeWindowMs: config.AIRTIME_WINDOW_MS,
    };
    this.networkServer = {
      networkServer: config.LORAWAN_NETWORK_SERVER,
      applicationId: config.LORAWAN_APPLICATION_ID,
      ttsTenantId: config.TTS_TENANT_ID,
    };
    this.sent = metrics.counter('fleet_commands_sent_total', 'Commands sent to devices', ['channel']);
    this.latency = metrics.histogram(
      'fleet_command_dispatch_seconds',
      'From a command being queued to its downlink being handed to the broker',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweepAll = true;
      this.schedule();
    }, this.config.DISPATCH_INTERVAL_MS);
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    if (this.leader) {
      await this.leader
        .query('SELECT pg_advisory_unlock(hashtext($1))', [LEADER_LOCK])
        .catch(() => undefined);
      this.leader.release();
    }
  }

  /** Something changed for these devices (new command, answer, wake-up): look at them now. */
  kick(deviceIds: readonly string[]): void {
    if (deviceIds.length === 0) return;
    for (const id of deviceIds) this.pendingDevices.add(id);
    this.schedule();
  }

  /** Runs one pass at a time; kicks that arrive meanwhile are taken by the next pass. */
  private schedule(): void {
    if (this.running || this.stopped) return;
    this.running = this.pass()
      .catch((error: unknown) => this.logger.error({ err: error }, 'dispatch pass failed; next pass retries'))
      .finally(() => {
        this.running = undefined;
        if ((this.pendingDevices.size > 0 || this.sweepAll) && !this.stopped) this.schedule();
      });
  }

  private async pass(): Promise<void> {
    if (!(await this.isLeader())) {
      this.pendingDevices.clear();
      this.sweepAll = false;
      return;
    }
    const all = this.sweepAll;
    const devices = [...this.pendingDevices];
    this.sweepAll = false;
    this.pendingDevices.clear();
    if (all) {
      await this.endExpired();
      await this.endUnanswered();
    }
    // Several rounds while there is more: a device with many queued commands moves one slot per round.
    for (let round = 0; round < 10 && !this.stopped; round++) {
      const sent = await this.sendDue(all ? null : devices);
      if (sent < this.config.DISPATCH_BATCH_SIZE && !all) break;
      if (sent === 0) break;
    }
  }

  /** Whether this replica holds the sender lock (taking it if free). */
  async isLeader(): Promise<boolean> {
    if (this.leader) return true;
    const client = await this.pool.connect();
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [LEADER_LOCK],
    );
    if (rows[0]?.locked) {
      client.on('error', () => {
        this.leader = undefined; // lost the connection, and with it the lock
      });
      this.leader = client;
      this.logger.log('this replica sends commands');
      return true;
    }
    client.release();
    return false;
  }

  private async sendDue(deviceIds: readonly string[] | null): Promise<number> {
    const due = await this.ledger.rows.due(
      this.config.DISPATCH_BATCH_SIZE,
      this.config.LISTEN_WINDOW_MS,
      deviceIds,
    );
    if (due.length === 0) return 0;
    const now = new Date().toISOString();
    const downlinks = new Map<string, Downlink>();
    const decisions: Decision[] = due.map(({ command, device }) => {
      const downlink = buildDownlink(command.request, device, this.networkServer);
      downlinks.set(command.request.commandId, downlink);
      return {
        commandId: command.request.commandId,
        known: command,
        metadata: this.metadata(command, now, 'dispatch'),
        command: {
          type: 'SendCommand',
          channel: downlink.channel,
          payloadBytes: downlink.payload.length,
          airtimeMs: downlink.radio?.airtimeMs ?? null,
          refusal: checkGates(command.request, device, this.gatePolicy, now, downlink.radio),
        },
      };
    });
    const decided = await this.ledger.decideAll(decisions);
    const client = await this.mqtt.connect();
    const publishes: Promise<unknown>[] = [];
    let sent = 0;
    for (const { state, events } of decided) {
      if (!events.some((e) => e.type === 'CommandSent') || state.status === 'none') continue;
      const downlink = downlinks.get(state.request.commandId)!;
      sent++;
      this.sent.inc({ channel: downlink.channel });
      publishes.push(
        client.publishAsync(downlink.topic, downlink.payload, { qos: 1 }).catch((error: unknown) => {
          // The command stays sent; with no answer it is retried after ACK_TIMEOUT_MS.
          this.logger.warn({ err: error, commandId: state.request.commandId }, 'downlink publish failed');
        }),
      );
      if (downlink.radio) {
        publishes.push(
          this.devices.store.spendAirtime(
            state.request.deviceId,
            downlink.radio.airtimeMs,
            this.gatePolicy.airtimeWindowMs,
            now,
          ),
        );
      }
    }
    await Promise.all(publishes);
    const handedOver = Date.now();
    due.forEach(({ dueSince }, i) => {
      if (decided[i]!.state.status === 'sent')
        this.latency.observe((handedOver - Date.parse(dueSince)) / 1000);
    });
    return sent;
  }

  private async endExpired(): Promise<void> {
    const now = new Date().toISOString();
    const expired = await this.ledger.rows.expired(this.config.DISPATCH_BATCH_SIZE);
    await this.ledger.decideAll(
      expired.map((command) => ({
        commandId: command.request.commandId,
        known: command,
        metadata: this.metadata(command, now, 'time-to-live passed'),
        command: { type: 'ExpireCommand', now },
      })),
    );
  }

  private async endUnanswered(): Promise<void> {
    const now = new Date().toISOString();
    const unanswered = await this.ledger.rows.unanswered(
      this.config.ACK_TIMEOUT_MS,
      this.config.DISPATCH_BATCH_SIZE,
    );
    await this.ledger.decideAll(
      unanswered.map((command) => ({
        commandId: command.request.commandId,
        known: command,
        metadata: this.metadata(command, now, `no answer within ${this.config.ACK_TIMEOUT_MS} ms`),
        command: {
          type: 'GiveUpWaiting',
          now,
          retryDelayMs: backoffDelay(command.attempt, {
            baseMs: this.config.RETRY_BASE_MS,
            maxMs: 3_600_000,
          }),
        },
      })),
    );
  }

  metadata(command: RequestedCommand, now: string, reason: string): EventMetadata {
    return {
      actor: SERVICE_ACTOR,
      reason,
      occurredAt: now,
      correlationId: command.request.commandId,
      causationId: command.request.commandId,
      tenant: 'default',
    };
  }
}
