import type { CampaignDefinition } from './campaign-events';
import { countByStatus, type CampaignState, type DeviceStatus } from './campaign-state';

/** What `GET /campaigns/{id}` answers: the campaign without its per-device detail. */
export interface CampaignView {
  readonly campaignId: string;
  readonly status: CampaignState['status'];
  readonly definition: CampaignDefinition;
  readonly wave: number;
  readonly waves: number;
  readonly pauseReason: string | null;
  readonly counts: Record<DeviceStatus, number>;
  readonly countsByWave: readonly Record<DeviceStatus, number>[];
  readonly version: number;
}

export function viewOf(state: CampaignState): CampaignView {
  return {
    campaignId: state.definition!.campaignId,
    status: state.status,
    definition: state.definition!,
    wave: state.wave,
    waves: state.waves,
    pauseReason: state.pauseReason,
    counts: countByStatus(state),
    countsByWave: Array.from({ length: state.waves }, (_, wave) => countByStatus(state, wave)),
    version: state.version,
  };
}
