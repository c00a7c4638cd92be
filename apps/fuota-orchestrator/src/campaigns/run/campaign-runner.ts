import type { EventMetadata } from '@fleet/core';
import { type AvroCodec } from '@fleet/contracts';
import { MESSAGE_PUBLISHER, type MessagePublisher } from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, LeaderLease, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { ArtifactCatalogue } from '../../artifacts/catalogue/artifact-catalogue';
import { DeviceFeeds } from '../../devices/directory/device-feeds';
import type { DeviceRow } from '../../devices/directory/fuota-device-store';
import { devicesToObserve, type CommandOutcome, type DeviceObservation } from '../campaign';
import type { CampaignEvent } from '../campaign-events';
import { CAMPAIGN_CONFIG, type CampaignConfig } from '../campaign-config.token';
import { countByStatus, type CampaignState } from '../campaign-state';
import { CampaignLedger } from '../store/campaign-ledger';
import { stepCommandId, stepRequest, toOutgoing, type StepRequest } from './step-commands';

const EPOCH = new Date(0).toISOString();

/**
 * Advances every active campaign on one replica (a leader lease): loads what its started and next
 * devices reported, decides, appends, then asks the dispatcher for the steps it decided. Requests
 * follow the append and carry derived command ids, so a crash in between is repaired by sending
 * them again when a replica takes over (the dispatcher ignores a command it already has).
 */
@Injectable()
export class CampaignRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CampaignRunner.name);
  private readonly lease: LeaderLease;
  private readonly states = new Map<string, CampaignState>();
  private readonly gatedOffsets = new Map<string, number>();
  /** Bumped by invalidate: a tick that began before an operator's change must not cache what it read. */
  private readonly generations = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private isLeading = false;
  private readonly steps;
  private readonly tickSeconds;

  constructor(
    private readonly ledger: CampaignLedger,
    private readonly feeds: DeviceFeeds,
    private readonly artifacts: ArtifactCatalogue,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(CAMPAIGN_CONFIG) private readonly config: CampaignConfig,
    @Inject(PG_POOL) pool: Pool,
    metrics: Metrics,
  ) {
    this.lease = new LeaderLease(pool, 'fuota-campaigns', {
      start: async () => {
        this.states.clear();
        this.isLeading = true;
        await this.resendOpenSteps();
      },
      stop: async () => {
        this.isLeading = false;
        await this.running;
      },
    });
    this.steps = metrics.counter(
      'fleet_fuota_campaign_steps_total',
      'Device steps of campaigns, by event type',
      ['type'],
    );
    this.tickSeconds = metrics.histogram(
      'fleet_fuota_campaign_tick_seconds',
      'Time to advance all active campaigns once',
      [],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.lease.start();
    this.timer = setInterval(() => this.tick(), this.config.CAMPAIGN_TICK_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.lease.stop();
  }

  /** Whether this replica advances campaigns now (it holds the lease). */
  get leading(): boolean {
    return this.isLeading;
  }

  /** Forgets a campaign's cached state (an operator changed it through the API). */
  invalidate(campaignId: string): void {
    this.states.delete(campaignId);
    this.generations.set(campaignId, (this.generations.get(campaignId) ?? 0) + 1);
  }

  /** Advances now rather than at the next tick (tests, operator actions). */
  kick(): void {
    this.tick();
  }

  private tick(): void {
    if (this.running || !this.isLeading) return;
    const end = this.tickSeconds.startTimer();
    this.running = this.advanceAll()
      .catch((error: unknown) =>
        this.logger.error({ err: error }, 'advancing campaigns failed; next tick retries'),
      )
      .finally(() => {
        end();
        this.running = undefined;
      });
  }

  private async advanceAll(): Promise<void> {
    for (const campaignId of await this.ledger.table.active()) {
      try {
        await this.advance(campaignId);
      } catch (error) {
        this.states.delete(campaignId);
        this.logger.error(
          { err: error, campaignId },
          'advancing a campaign failed; it is reloaded next tick',
        );
      }
    }
  }

  private async advance(campaignId: string): Promise<void> {
    const generation = this.generations.get(campaignId) ?? 0;
    const cached = this.states.get(campaignId);
    const state = cached ?? (await this.ledger.load(campaignId));
    // A crash between an append and its summary left the row behind: the stream as loaded repairs it.
    if (!cached) await this.ledger.table.save(state, countByStatus(state));
    const now = new Date().toISOString();
    const offset = this.gatedOffsets.get(campaignId) ?? 0;
    const { deviceIds, gated } = devicesToObserve(state, now, offset);
    this.gatedOffsets.set(campaignId, gated === 0 ? 0 : (offset + deviceIds.length) % gated);
    const observations = await this.observe(state, deviceIds);
    const metadata: EventMetadata = {
      actor: { type: 'service', id: 'fuota-orchestrator' },
      reason: 'campaign engine step',
      occurredAt: now,
      correlationId: campaignId,
      causationId: null,
      tenant: 'default',
    };
    const decided = await this.ledger.decide(
      campaignId,
      {
        type: 'AdvanceCampaign',
        now,
        observations,
        commandId: (deviceId, attempt, step) => stepCommandId(campaignId, deviceId, attempt, step),
      },
      metadata,
      state,
    );
    // An operator's change meanwhile (resume, pause, cancel) made this state stale: reload next tick.
    if ((this.generations.get(campaignId) ?? 0) === generation) this.states.set(campaignId, decided.state);
    for (const e of decided.events) this.steps.inc({ type: e.type });
    await this.request(
      decided.state,
      decided.events.map((event, i) => ({ event, causationId: decided.eventIds[i] ?? null })),
      now,
    );
  }

  private async observe(
    state: CampaignState,
    deviceIds: readonly string[],
  ): Promise<Map<string, DeviceObservation>> {
    const rows = await this.feeds.store.devices(deviceIds);
    const commandIds = deviceIds.flatMap((id) => state.devices.get(id)?.commandIds ?? []);
    const outcomes = await this.feeds.store.commandOutcomes(commandIds);
    const observations = new Map<string, DeviceObservation>();
    for (const id of deviceIds) {
      const row = rows.get(id);
      if (!row?.facts) continue;
      const commands = new Map<string, CommandOutcome>();
      for (const commandId of state.devices.get(id)?.commandIds ?? []) {
        const o = outcomes.get(commandId);
        if (o)
          commands.set(commandId, {
            status: o.status as CommandOutcome['status'],
            gate: o.gate,
            reason: o.reason,
            at: o.at,
          });
      }
      observations.set(id, observationOf(row, commands));
    }
    return observations;
  }

  /** Sends the dispatcher the steps the events decided: observe + write on start, execute once downloaded. */
  private async request(
    state: CampaignState,
    decided: readonly { event: CampaignEvent; causationId: string | null }[],
    now: string,
  ): Promise<void> {
    const steps: StepRequest[] = [];
    for (const { event, causationId } of decided) {
      if (event.type === 'DeviceUpdateStarted' || event.type === 'DeviceInstallRequested') {
        steps.push(
          ...(await this.stepsOf(
            state,
            event.data.deviceId,
            event.data.attempt,
            event.type,
            causationId,
            now,
          )),
        );
      }
    }
    if (steps.length === 0) return;
    await this.publisher.publish(
      this.config.COMMAND_REQUESTS_TOPIC,
      steps.map((s) => toOutgoing(this.codec, stepRequest(s))),
    );
  }

  private async stepsOf(
    state: CampaignState,
    deviceId: string,
    attempt: number,
    type: 'DeviceUpdateStarted' | 'DeviceInstallRequested',
    causationId: string | null,
    now: string,
  ): Promise<StepRequest[]> {
    const d = state.definition!;
    const common = {
      campaignId: d.campaignId,
      campaignName: d.name,
      deviceId,
      attempt,
      causationId,
      timeToLiveSeconds: this.config.CAMPAIGN_COMMAND_TTL_SECONDS,
      now,
    };
    if (type === 'DeviceInstallRequested') return [{ ...common, step: 'execute' }];
    const packageUri = await this.artifacts.packageUriFor(d.artifact.artifactId, deviceId, new Date(now));
    return [
      { ...common, step: 'observe' },
      { ...common, step: 'write-uri', packageUri },
    ];
  }

  /** On taking over: the current step of every started device again (idempotent at the dispatcher). */
  private async resendOpenSteps(): Promise<void> {
    const now = new Date().toISOString();
    for (const campaignId of await this.ledger.table.active()) {
      const state = await this.ledger.load(campaignId);
      this.states.set(campaignId, state);
      const open: { event: CampaignEvent; causationId: string | null }[] = [];
      for (const device of state.devices.values()) {
        const data = { campaignId, deviceId: device.deviceId, attempt: device.attempt };
        if (device.status === 'downloading') {
          open.push({
            event: {
              type: 'DeviceUpdateStarted',
              data: { ...data, observeCommandId: '', writeCommandId: '' },
            },
            causationId: null,
          });
        }
        if (device.status === 'downloaded' || device.status === 'updating') {
          open.push({
            event: { type: 'DeviceInstallRequested', data: { ...data, commandId: '' } },
            causationId: null,
          });
        }
      }
      await this.request(state, open, now);
      if (open.length > 0)
        this.logger.log(`campaign ${campaignId}: sent the open steps of ${open.length} devices again`);
    }
  }
}

function observationOf(row: DeviceRow, commands: Map<string, CommandOutcome>): DeviceObservation {
  const facts = row.facts!;
  return {
    status: facts.status,
    batteryPercent: row.batteryPercent,
    // The twin's version, if the device never reported one itself, dated so it is never "fresh".
    firmwareVersion:
      row.reportedVersion ?? (facts.firmwareVersion ? { value: facts.firmwareVersion, at: EPOCH } : null),
    updateState: row.updateState,
    updateResult: row.updateResult,
    commands,
  };
}
