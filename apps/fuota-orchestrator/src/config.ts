import { loadServiceConfig } from '@fleet/platform';

export const FUOTA_ORCHESTRATOR_PORT = 3003;

/** fuota-orchestrator's own keys: none yet beside the platform keys (see libs/platform and libs/auth). */
export const fuotaOrchestratorKeys = {};

export const loadFuotaOrchestratorConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('fuota-orchestrator', FUOTA_ORCHESTRATOR_PORT, fuotaOrchestratorKeys, env);

export type FuotaOrchestratorConfig = ReturnType<typeof loadFuotaOrchestratorConfig>;
