import { join } from 'node:path';
import { z } from 'zod';
import { findRepoRoot } from './repo-root';

/** How tokens are verified (and, in development, issued). */
export interface AuthConfig {
  /** Expected `iss` claim. */
  readonly issuer: string;
  /** Expected `aud` claim. */
  readonly audience: string;
  /** JWKS endpoint of the identity provider; when absent the local development key is trusted. */
  readonly jwksUrl?: string;
  /** Where the development key pair lives. */
  readonly devKeyDir: string;
}

/** Defaults for local development. */
export const DEFAULT_ISSUER = 'fleetwise-dev';
export const DEFAULT_AUDIENCE = 'fleetwise-api';

/** `<repo>/.local/dev-keys`, git-ignored, shared by every service and `scripts/token.ts`. */
export function defaultDevKeyDir(): string {
  return join(findRepoRoot(), '.local', 'dev-keys');
}

/**
 * Env keys of the auth configuration; merge into a service's schema with
 * `z.object({ ...serviceKeys, ...authEnvSchema.shape })` and convert with {@link authConfigFromEnv}.
 */
export const authEnvSchema = z.object({
  AUTH_ISSUER: z
    .string()
    .default(DEFAULT_ISSUER)
    .describe(`expected token issuer (default "${DEFAULT_ISSUER}")`),
  AUTH_AUDIENCE: z
    .string()
    .default(DEFAULT_AUDIENCE)
    .describe(`expected token audience (default "${DEFAULT_AUDIENCE}")`),
  AUTH_JWKS_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('JWKS URL of the identity provider (default: trust the local development key)'),
  AUTH_DEV_KEY_DIR: z
    .string()
    .optional()
    .describe('development key directory (default "<repo>/.local/dev-keys")'),
});

/** Parsed {@link authEnvSchema} values. */
export type AuthEnv = z.output<typeof authEnvSchema>;

/** Turns parsed env keys into an {@link AuthConfig}. */
export function authConfigFromEnv(env: AuthEnv): AuthConfig {
  return resolveAuthConfig({
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    jwksUrl: env.AUTH_JWKS_URL,
    devKeyDir: env.AUTH_DEV_KEY_DIR,
  });
}

/** Fills in defaults for whatever a caller left out. */
export function resolveAuthConfig(config: Partial<AuthConfig> = {}): AuthConfig {
  return {
    issuer: config.issuer ?? DEFAULT_ISSUER,
    audience: config.audience ?? DEFAULT_AUDIENCE,
    ...(config.jwksUrl ? { jwksUrl: config.jwksUrl } : {}),
    devKeyDir: config.devKeyDir ?? defaultDevKeyDir(),
  };
}
