/** Where fleetctl's bearer token comes from: --token, FLEET_TOKEN, or a local development token. */

export const TOKEN_HELP =
  'pass --token <jwt> or set FLEET_TOKEN; against a local development stack: ' +
  'export FLEET_TOKEN=$(npm run -s token -- --role support)';

/** Thrown when no token was given and none could be issued. */
export class NoTokenError extends Error {
  constructor(cause: string) {
    super(`no token: ${TOKEN_HELP} (issuing a development token failed: ${cause})`);
    this.name = 'NoTokenError';
  }
}

/**
 * Signs a short-lived `support` token with the local development key, as `npm run token` does
 * and with the same AUTH_* settings. Loaded lazily: the auth library pulls in the framework.
 */
export async function issueSupportToken(env: NodeJS.ProcessEnv): Promise<string> {
  const setting = (key: string) => (env[key] ? env[key] : undefined);
  try {
    const { issueDevToken } = await import('@fleet/auth');
    return await issueDevToken({
      role: 'support',
      subject: 'fleetctl',
      ttl: '1h',
      issuer: setting('AUTH_ISSUER'),
      audience: setting('AUTH_AUDIENCE'),
      devKeyDir: setting('AUTH_DEV_KEY_DIR'),
    });
  } catch (error) {
    throw new NoTokenError(error instanceof Error ? error.message : String(error));
  }
}
