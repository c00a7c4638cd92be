import { resolve } from 'node:path';
import { loadConfig } from '@fleet/observability';
import { z } from 'zod';
import { authConfigFromEnv, authEnvSchema, defaultDevKeyDir } from './auth.config';

describe('auth configuration', () => {
  const schema = z.object({ HTTP_PORT: z.string(), ...authEnvSchema.shape });

  it('defaults to the development issuer, audience and key directory', () => {
    const config = authConfigFromEnv(loadConfig(schema, { HTTP_PORT: '1' }, 'svc'));
    expect(config).toEqual({
      issuer: 'fleetwise-dev',
      audience: 'fleetwise-api',
      devKeyDir: defaultDevKeyDir(),
    });
    expect(defaultDevKeyDir()).toBe(resolve(__dirname, '../../../.local/dev-keys'));
  });

  it('reads every key', () => {
    const env = {
      HTTP_PORT: '1',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'fleet',
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      AUTH_DEV_KEY_DIR: '/tmp/keys',
    };
    expect(authConfigFromEnv(loadConfig(schema, env, 'svc'))).toEqual({
      issuer: 'https://idp.example.com/',
      audience: 'fleet',
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      devKeyDir: '/tmp/keys',
    });
  });

  it('rejects a JWKS URL that is not http(s)', () => {
    expect(() => loadConfig(schema, { HTTP_PORT: '1', AUTH_JWKS_URL: 'file:///etc/keys' }, 'svc')).toThrow(
      /AUTH_JWKS_URL: Invalid URL/,
    );
  });
});
