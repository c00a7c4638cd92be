import type { z } from 'zod';
import type { campaignKeys } from './campaign-config';

/** Injection token of the campaign keys of the service's configuration. */
export const CAMPAIGN_CONFIG = Symbol('CAMPAIGN_CONFIG');

export type CampaignConfig = { readonly [K in keyof typeof campaignKeys]: z.infer<(typeof campaignKeys)[K]> };
