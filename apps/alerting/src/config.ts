import { loadServiceConfig } from '@fleet/platform';

export const ALERTING_PORT = 3004;

/** alerting reads only the platform keys for now (see libs/platform and libs/auth). */
export const loadAlertingConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('alerting', ALERTING_PORT, {}, env);

export type AlertingConfig = ReturnType<typeof loadAlertingConfig>;
