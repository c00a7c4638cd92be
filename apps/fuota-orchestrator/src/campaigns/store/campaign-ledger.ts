import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventMetadata } from '@fleet/core';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@fleet/event-store';
import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { decideCampaign, type CampaignCommand } from '../campaign';
import type { CampaignEvent } from '../campaign-events';
import { countByStatus, evolveCampaign, initialCampaignState, type CampaignState } from '../campaign-state';
import { CampaignTable } from './campaign-table';

export const campaignStream = (campaignId: string): string => `campaign-${campaignId}`;

export interface Decided {
  readonly state: CampaignState;
  readonly events: readonly CampaignEvent[];
  /** The stored ids of `events`, in order (causation ids of what they lead to). */
  readonly eventIds: readonly string[];
}

const ATTEMPTS = 4;

/**
 * Campaigns in the event store: loads a campaign by folding its stream, decides, appends with the
 * expected revision (a concurrent writer makes it reload and decide again) and keeps the
 * `fuota_campaigns` summary (status and counts, for listing) up to date.
 */
@Injectable()
export class CampaignLedger implements OnModuleInit {
  readonly table: CampaignTable;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) pool: Pool,
  ) {
    this.table = new CampaignTable(pool);
  }

  onModuleInit(): Promise<void> {
    return this.table.ensureSchema();
  }

  async load(campaignId: string): Promise<CampaignState> {
    return this.store.readStream(campaignStream(campaignId)).then(foldEvents);
  }

  async history(campaignId: string): Promise<RecordedEvent[]> {
    return this.store.readStream(campaignStream(campaignId));
  }

  /**
   * Decides `command` on the campaign and appends what it decided. `known` is the caller's state
   * (the runner keeps one per campaign); it is folded in place on success and must not be used
   * after a failure.
   */
  async decide(
    campaignId: string,
    command: CampaignCommand,
    metadata: EventMetadata,
    known?: CampaignState,
  ): Promise<Decided> {
    let state = known ?? (await this.load(campaignId));
    for (let attempt = 1; ; attempt++) {
      const events = decideCampaign(command, state);
      if (events.length === 0) return { state, events, eventIds: [] };
      const eventIds = events.map(() => randomUUID());
      try {
        await this.store.append(
          campaignStream(campaignId),
          events.map((e, i) => ({ id: eventIds[i]!, type: e.type, data: { ...e.data }, metadata })),
          state.version === 0 ? 'no_stream' : BigInt(state.version - 1),
        );
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw error;
        state = await this.load(campaignId);
        continue;
      }
      for (const event of events) state = evolveCampaign(state, event, metadata.occurredAt);
      await this.table.save(state, countByStatus(state));
      return { state, events, eventIds };
    }
  }
}

export function foldEvents(events: readonly RecordedEvent[]): CampaignState {
  let state = initialCampaignState();
  for (const e of events) {
    state = evolveCampaign(state, { type: e.type, data: e.data } as CampaignEvent, e.metadata.occurredAt);
  }
  return state;
}
