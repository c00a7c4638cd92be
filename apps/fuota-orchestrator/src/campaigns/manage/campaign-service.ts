import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type CommandMetadata,
  type EventMetadata,
} from '@fleet/core';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@fleet/event-store';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ArtifactCatalogue } from '../../artifacts/catalogue/artifact-catalogue';
import { DeviceFeeds } from '../../devices/directory/device-feeds';
import type { DeviceSelection } from '../../devices/directory/fuota-device-store';
import type { CampaignCommand } from '../campaign';
import type { ArtifactRef, CampaignDefinition, TargetDevice, TargetSelector } from '../campaign-events';
import { CAMPAIGN_CONFIG, type CampaignConfig } from '../campaign-config.token';
import { type CampaignState, type DeviceProgress } from '../campaign-state';
import { viewOf, type CampaignView } from '../campaign-view';
import { checkWindow } from '../maintenance-window';
import { CampaignRunner } from '../run/campaign-runner';
import { CampaignLedger } from '../store/campaign-ledger';
import { target, type Excluded } from '../targeting';
import { assignWaves, checkRollout, planWaves } from '../waves';

/** A campaign as an operator asks for it; the service fills in the artifact and the creator. */
export type CampaignRequest = Omit<CampaignDefinition, 'campaignId' | 'artifact' | 'createdBy'> & {
  readonly artifactId: string;
  /** Create anyway, leaving incompatible devices out (they are listed in the answer). */
  readonly skipIncompatible: boolean;
};

export interface CampaignPreview {
  readonly devices: number;
  readonly waves: readonly number[];
  /** The first devices of each wave, at most 20 per wave. */
  readonly sample: readonly { readonly wave: number; readonly deviceIds: readonly string[] }[];
  readonly incompatible: readonly Excluded[];
  readonly downgrades: readonly Excluded[];
  readonly alreadyUpToDate: number;
  readonly decommissioned: number;
}

/**
 * Creating (with a dry run), approving, pausing, resuming, cancelling and reading campaigns; and,
 * for continuous campaigns, adding devices that started to match their targets.
 */
@Injectable()
export class CampaignService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CampaignService.name);
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    readonly ledger: CampaignLedger,
    private readonly feeds: DeviceFeeds,
    private readonly artifacts: ArtifactCatalogue,
    private readonly runner: CampaignRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CAMPAIGN_CONFIG) private readonly config: CampaignConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.refreshing ??= this.refreshContinuous()
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'refreshing continuous campaigns failed'),
        )
        .finally(() => (this.refreshing = undefined));
    }, this.config.CAMPAIGN_CONTINUOUS_REFRESH_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** Continuous campaigns take the devices that match their targets now and were not targeted yet (last wave). */
  async refreshContinuous(now = new Date()): Promise<void> {
    if (!this.runner.leading) return;
    for (const campaignId of await this.ledger.table.activeContinuous()) {
      const state = await this.ledger.load(campaignId);
      const definition = state.definition;
      if (!definition || definition.mode !== 'continuous' || definition.targets.kind === 'devices') continue;
      const devices = await this.feeds.store.select(
        await this.selection(definition.targets),
        this.config.CAMPAIGN_TARGET_LIMIT,
      );
      const fresh = target(devices, definition.artifact, definition.allowDowngrade).eligible.filter(
        (d) => !state.devices.has(d.deviceId),
      );
      if (fresh.length === 0) continue;
      const wave = Math.max(state.waves - 1, 0);
      const metadata: EventMetadata = {
        actor: { type: 'service', id: 'fuota-orchestrator' },
        reason: `${fresh.length} devices started to match the continuous campaign's targets`,
        occurredAt: now.toISOString(),
        correlationId: campaignId,
        causationId: null,
        tenant: 'default',
      };
      this.runner.invalidate(campaignId);
      await this.ledger.decide(
        campaignId,
        {
          type: 'AddTargets',
          devices: fresh.map((d) => ({ deviceId: d.deviceId, wave, fromVersion: d.firmwareVersion })),
        },
        metadata,
      );
      this.runner.invalidate(campaignId);
      this.logger.log(`campaign ${campaignId}: ${fresh.length} devices joined`);
    }
  }

  /** What a campaign would target, without creating it. */
  async preview(request: CampaignRequest, now = new Date()): Promise<CampaignPreview> {
    return (await this.plan(request, now)).preview;
  }

  /** @throws ValidationError listing incompatible devices or downgrades, unknown artifact, bad window */
  async create(
    request: CampaignRequest,
    metadata: CommandMetadata,
  ): Promise<CampaignView & { preview: CampaignPreview }> {
    const { preview, artifact, targets } = await this.plan(request, new Date(metadata.occurredAt));
    if (preview.incompatible.length > 0 && !request.skipIncompatible) {
      throw new ValidationError(
        `${preview.incompatible.length} targeted devices are incompatible with artifact ${artifact.version}; leave them out with skipIncompatible`,
        { incompatible: preview.incompatible.slice(0, 100) },
      );
    }
    if (preview.downgrades.length > 0) {
      throw new ValidationError(
        `${preview.downgrades.length} targeted devices run a newer version than ${artifact.version}: a downgrade needs allowDowngrade and a downgradeReason`,
        { downgrades: preview.downgrades.slice(0, 100) },
      );
    }
    // A continuous campaign may start empty: it waits for devices to match.
    if (targets.length === 0 && request.mode === 'snapshot') {
      throw new ValidationError('the campaign targets no device that needs this firmware');
    }
    const campaignId = randomUUID();
    const { skipIncompatible: _skip, artifactId: _artifactId, ...rest } = request;
    const definition: CampaignDefinition = { ...rest, campaignId, artifact, createdBy: metadata.actor.id };
    await this.ledger.decide(
      campaignId,
      { type: 'CreateCampaign', definition, targets },
      this.eventMetadata(metadata, campaignId),
    );
    this.runner.kick();
    return { ...(await this.view(campaignId)), preview };
  }

  async approve(campaignId: string, metadata: CommandMetadata): Promise<CampaignView> {
    return this.change(campaignId, { type: 'ApproveCampaign', approver: metadata.actor.id }, metadata);
  }

  async pause(campaignId: string, metadata: CommandMetadata): Promise<CampaignView> {
    return this.change(
      campaignId,
      { type: 'PauseCampaign', reason: metadata.reason ?? 'paused by an operator' },
      metadata,
    );
  }

  async resume(campaignId: string, retryFailed: boolean, metadata: CommandMetadata): Promise<CampaignView> {
    return this.change(campaignId, { type: 'ResumeCampaign', retryFailed }, metadata);
  }

  async cancel(campaignId: string, metadata: CommandMetadata): Promise<CampaignView> {
    return this.change(campaignId, { type: 'CancelCampaign' }, metadata);
  }

  /** From the campaign's summary row, kept with every decision; folded from its stream if the row has none. */
  async view(campaignId: string): Promise<CampaignView> {
    return (await this.ledger.table.view(campaignId)) ?? viewOf(await this.existing(campaignId));
  }

  async devices(
    campaignId: string,
    filter: { status?: string; wave?: number; after?: string; limit: number },
  ): Promise<DeviceProgress[]> {
    const state = await this.existing(campaignId);
    return [...state.devices.values()]
      .filter(
        (d) =>
          (filter.status === undefined || d.status === filter.status) &&
          (filter.wave === undefined || d.wave === filter.wave),
      )
      .filter((d) => filter.after === undefined || d.deviceId > filter.after)
      .sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1))
      .slice(0, filter.limit);
  }

  async history(campaignId: string): Promise<RecordedEvent[]> {
    const events = await this.ledger.history(campaignId);
    if (events.length === 0) throw new NotFoundError(`campaign ${campaignId} does not exist`, { campaignId });
    return events;
  }

  private async change(
    campaignId: string,
    command: CampaignCommand,
    metadata: CommandMetadata,
  ): Promise<CampaignView> {
    await this.existing(campaignId);
    // The runner's cached state is dropped first: the ledger decides on the stream as it is.
    this.runner.invalidate(campaignId);
    const decided = await this.ledger.decide(campaignId, command, this.eventMetadata(metadata, campaignId));
    this.runner.invalidate(campaignId);
    this.runner.kick();
    return viewOf(decided.state);
  }

  private async existing(campaignId: string): Promise<CampaignState> {
    const state = await this.ledger.load(campaignId);
    if (state.status === 'none')
      throw new NotFoundError(`campaign ${campaignId} does not exist`, { campaignId });
    return state;
  }

  private eventMetadata(metadata: CommandMetadata, campaignId: string): EventMetadata {
    const { commandId, ...rest } = metadata;
    // The operator's request caused the events; their correlation is the campaign when none was given.
    return {
      ...rest,
      correlationId: metadata.correlationId === commandId ? campaignId : metadata.correlationId,
      causationId: commandId,
    };
  }

  private async plan(request: CampaignRequest, now: Date) {
    checkRollout(request.rollout);
    if (request.allowDowngrade && !request.downgradeReason) {
      throw new ValidationError('allowDowngrade needs a downgradeReason (it is recorded for the audit)');
    }
    const startAt = request.startAt ? Date.parse(request.startAt) : now.getTime();
    const endAt = request.endAt ? Date.parse(request.endAt) : null;
    if (endAt !== null && endAt <= Math.max(startAt, now.getTime()))
      throw new ValidationError('endAt must be after startAt and now');
    if (request.maintenanceWindow) checkWindow(request.maintenanceWindow, startAt, endAt);
    const artifact = await this.artifactRef(request.artifactId);
    const devices = await this.feeds.store.select(
      await this.selection(request.targets),
      this.config.CAMPAIGN_TARGET_LIMIT + 1,
    );
    if (devices.length > this.config.CAMPAIGN_TARGET_LIMIT) {
      throw new ValidationError(
        `the targets match more than ${this.config.CAMPAIGN_TARGET_LIMIT} devices (CAMPAIGN_TARGET_LIMIT); split the campaign`,
      );
    }
    const targeting = target(devices, artifact, request.allowDowngrade);
    const sizes = planWaves(targeting.eligible.length, request.rollout);
    const ids = targeting.eligible.map((d) => d.deviceId);
    const waves = assignWaves(ids, sizes);
    const targets: TargetDevice[] = targeting.eligible.map((d, i) => ({
      deviceId: d.deviceId,
      wave: waves[i]!,
      fromVersion: d.firmwareVersion,
    }));
    const preview: CampaignPreview = {
      devices: targets.length,
      waves: sizes,
      sample: sizes.map((_, wave) => ({
        wave,
        deviceIds: targets
          .filter((t) => t.wave === wave)
          .slice(0, 20)
          .map((t) => t.deviceId),
      })),
      incompatible: targeting.incompatible,
      downgrades: targeting.downgrades,
      alreadyUpToDate: targeting.alreadyUpToDate.length,
      decommissioned: targeting.decommissioned.length,
    };
    return { preview, artifact, targets };
  }

  private async artifactRef(artifactId: string): Promise<ArtifactRef> {
    const view = await this.artifacts.get(artifactId);
    if (!view) throw new ValidationError(`artifact ${artifactId} does not exist`);
    if (view.status !== 'published')
      throw new ValidationError(`artifact ${artifactId} is ${view.status}, not published`);
    return {
      artifactId: view.artifactId,
      version: view.version,
      models: view.models,
      hardwareRevisions: view.hardwareRevisions,
      sha256: view.sha256,
      size: view.size,
    };
  }

  private async selection(targets: TargetSelector): Promise<DeviceSelection> {
    switch (targets.kind) {
      case 'devices': {
        const ids = [...new Set(targets.deviceIds)];
        const found = new Set(
          (await this.feeds.store.select({ deviceIds: ids }, ids.length)).map((d) => d.deviceId),
        );
        const unknown = ids.filter((id) => !found.has(id));
        if (unknown.length > 0) {
          throw new ValidationError(
            `${unknown.length} devices are unknown: ${unknown.slice(0, 20).join(', ')}`,
            { unknown: unknown.slice(0, 100) },
          );
        }
        return { deviceIds: ids };
      }
      case 'query':
        return {
          model: targets.model,
          tags: targets.tags,
          region: targets.region,
          firmwareVersion: targets.firmwareVersion,
        };
      case 'group':
        return this.groupSelection(targets.group);
      default: {
        const unknown: never = targets;
        throw new Error(`unknown selector ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** A device group (device-twin's `group-<name>` stream): static → its tag, dynamic → its saved query. */
  private async groupSelection(name: string): Promise<DeviceSelection> {
    const events = await this.store.readStream(`group-${name}`);
    const last = events.at(-1);
    if (!last || last.type === 'GroupDeleted') throw new ValidationError(`group ${name} does not exist`);
    const group = last.data as { kind: string; tag: string | null; query: Record<string, unknown> | null };
    if (group.kind === 'static') return { tags: [group.tag ?? ''] };
    const query = group.query ?? {};
    const supported = ['model', 'firmware', 'tag', 'region'];
    const other = Object.keys(query).filter((k) => !supported.includes(k));
    if (other.length > 0) {
      throw new ConflictError(
        `group ${name} filters on ${other.join(', ')}, which campaigns cannot evaluate; target its devices by deviceIds`,
      );
    }
    const tag = query['tag'];
    return {
      model: (query['model'] as string | undefined) ?? null,
      firmwareVersion: (query['firmware'] as string | undefined) ?? null,
      tags: tag === undefined ? [] : (Array.isArray(tag) ? tag : [tag]).map(String),
      region: (query['region'] as string | undefined) ?? null,
    };
  }
}
