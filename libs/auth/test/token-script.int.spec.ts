import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureDevKeyPair } from '@fleet/auth';
import { decodeJwt, importJWK, jwtVerify } from 'jose';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '../../..');
const tsx = join(repoRoot, 'node_modules/.bin/tsx');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tsx scripts/token.ts` from a sub-directory, to prove the script does not depend on the cwd. */
async function token(args: string[], keyDir: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(tsx, [join(repoRoot, 'scripts/token.ts'), ...args], {
      cwd: join(repoRoot, 'libs'),
      env: { ...process.env, AUTH_DEV_KEY_DIR: keyDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('scripts/token.ts', () => {
  let keyDir: string;

  beforeAll(async () => {
    keyDir = join(await mkdtemp(join(tmpdir(), 'fleet-token-')), 'dev-keys');
  });

  afterAll(() => rm(join(keyDir, '..'), { recursive: true, force: true }));

  it('prints only a token, creating the keys on first use even when started in parallel', async () => {
    const outcomes = await Promise.all([
      token(['--role', 'admin'], keyDir),
      token(['--role', 'viewer', '--subject', 'alice', '--ttl', '1h'], keyDir),
      token(['--role', 'operator'], keyDir),
    ]);
    const { publicJwk } = await ensureDevKeyPair(keyDir);
    const key = await importJWK(publicJwk, 'ES256');
    for (const outcome of outcomes) {
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      await jwtVerify(outcome.stdout.trim(), key, { issuer: 'fleetwise-dev', audience: 'fleetwise-api' });
    }
    const claims = decodeJwt(outcomes[1].stdout.trim());
    expect(claims).toMatchObject({ sub: 'alice', roles: ['viewer'] });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('exits 2 listing the valid roles for an unknown role', async () => {
    const outcome = await token(['--role', 'root'], keyDir);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toContain('unknown role "root"; valid roles: admin, operator, support, viewer');
  });

  it('exits 2 without a role', async () => {
    const outcome = await token([], keyDir);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toContain('--role is required');
  });
});
