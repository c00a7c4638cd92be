import { loadServiceConfig } from '@fleet/platform';
import { artifactKeys } from './artifacts/artifact-config';
import { campaignKeys } from './campaigns/campaign-config';
import { multicastKeys } from './multicast/multicast-config';

export const FUOTA_ORCHESTRATOR_PORT = 3003;

/** fuota-orchestrator's own keys beside the platform keys (see libs/platform and libs/auth). */
export const fuotaOrchestratorKeys = {
  ...artifactKeys,
  ...campaignKeys,
  ...multicastKeys,
};

export const loadFuotaOrchestratorConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('fuota-orchestrator', FUOTA_ORCHESTRATOR_PORT, fuotaOrchestratorKeys, env);

export type FuotaOrchestratorConfig = ReturnType<typeof loadFuotaOrchestratorConfig>;
