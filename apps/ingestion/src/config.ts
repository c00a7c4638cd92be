import { loadServiceConfig } from '@fleet/platform';

export const INGESTION_PORT = 3005;

/** ingestion reads only the platform keys for now (see libs/platform and libs/auth). */
export const loadIngestionConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('ingestion', INGESTION_PORT, {}, env);

export type IngestionConfig = ReturnType<typeof loadIngestionConfig>;
