import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { ensureDevKeyPair } from './dev-keys';
import { issueDevToken } from './dev-token';

describe('development keys', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'fleet-auth-')), 'nested', 'dev-keys');
  });

  afterEach(() => rm(join(dir, '..', '..'), { recursive: true, force: true }));

  it('creates the key pair once, private key readable by the owner only', async () => {
    const first = await ensureDevKeyPair(dir);
    const again = await ensureDevKeyPair(dir);
    expect(again).toEqual(first);
    expect(first.publicJwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: first.kid,
      alg: 'ES256',
      use: 'sig',
    });
    expect((await stat(join(dir, 'signing-key.private.jwk.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('agrees on one key when many callers race, leaving no temporary files', async () => {
    const pairs = await Promise.all(Array.from({ length: 8 }, () => ensureDevKeyPair(dir)));
    expect(new Set(pairs.map((pair) => pair.kid)).size).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([
      'signing-key.private.jwk.json',
      'signing-key.public.jwk.json',
    ]);
  });

  it('issues tokens that verify with the public key', async () => {
    const token = await issueDevToken({ role: 'operator', devKeyDir: dir, ttl: '1h' });
    const { publicJwk, kid } = await ensureDevKeyPair(dir);
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'ES256'), {
      issuer: 'fleetwise-dev',
      audience: 'fleetwise-api',
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid });
    expect(payload).toMatchObject({ sub: 'dev-operator', roles: ['operator'] });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('defaults to an 8 hour token and accepts several roles', async () => {
    const token = await issueDevToken({ roles: ['support', 'viewer'], subject: 'alice', devKeyDir: dir });
    const { publicJwk } = await ensureDevKeyPair(dir);
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'ES256'));
    expect(payload).toMatchObject({ sub: 'alice', roles: ['support', 'viewer'] });
    expect(payload.exp! - payload.iat!).toBe(8 * 3600);
  });

  it('rejects unknown roles, listing the valid ones', async () => {
    await expect(issueDevToken({ role: 'root', devKeyDir: dir })).rejects.toThrow(
      'unknown role "root"; valid roles: admin, operator, support, viewer',
    );
  });
});
