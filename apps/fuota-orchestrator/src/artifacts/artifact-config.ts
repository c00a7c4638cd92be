import { z } from 'zod';
import { MAX_IMAGE_BYTES } from './artifact-request';

const SEVEN_DAYS = 7 * 86_400;

/** fuota-orchestrator's keys for firmware artifacts (docs/fuota-artifacts.md). */
export const artifactKeys = {
  FUOTA_ARTIFACT_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'directory of the signed packages (default <repo>/.local/artifacts; a shared volume with replicas)',
    ),
  FUOTA_TRUSTED_KEYS_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'directory of trusted manufacturer keys, <keyId>.pub.pem (default <repo>/.local/firmware-keys; when unset outside production the development key is created there and trusted)',
    ),
  FUOTA_DOWNLOAD_TOKEN_SECRET: z
    .string()
    .min(32, 'at least 32 characters')
    .optional()
    .describe(
      'HMAC secret of device download tokens, shared by replicas; required when NODE_ENV=production (development: a random secret kept in <repo>/.local/fuota)',
    ),
  FUOTA_DOWNLOAD_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(SEVEN_DAYS)
    .describe('lifetime of a device download link (default 7 days: sleepy devices download slowly)'),
  FUOTA_PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('base URL devices reach the package downloads at (default http://127.0.0.1:<HTTP_PORT>)'),
  FUOTA_MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_IMAGE_BYTES)
    .default(512 * 1024 * 1024)
    .describe('largest firmware image accepted (default 512 MiB)'),
};

export type ArtifactConfig = z.output<z.ZodObject<typeof artifactKeys>> & { readonly HTTP_PORT: number };
