import { loadServiceConfig } from '@fleet/platform';

export const FUOTA_ORCHESTRATOR_PORT = 3003;

/** fuota-orchestrator reads only the platform keys for now (see libs/platform and libs/auth). */
export const loadFuotaOrchestratorConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('fuota-orchestrator', FUOTA_ORCHESTRATOR_PORT, {}, env);

export type FuotaOrchestratorConfig = ReturnType<typeof loadFuotaOrchestratorConfig>;
