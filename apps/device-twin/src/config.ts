import { loadServiceConfig } from '@fleet/platform';

export const DEVICE_TWIN_PORT = 3001;

/** device-twin reads only the platform keys for now (see libs/platform and libs/auth). */
export const loadDeviceTwinConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('device-twin', DEVICE_TWIN_PORT, {}, env);

export type DeviceTwinConfig = ReturnType<typeof loadDeviceTwinConfig>;
