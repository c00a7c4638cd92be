import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_MANUFACTURER_KEY_ID } from '@fleet/firmware';
import { resolveArtifactSettings } from './artifact-settings';

const config = (overrides: Record<string, unknown> = {}) => ({
  HTTP_PORT: 3003,
  FUOTA_DOWNLOAD_TOKEN_TTL_SECONDS: 604_800,
  FUOTA_MAX_IMAGE_BYTES: 1024,
  ...overrides,
});

describe('artifact settings', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fuota-settings-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('in development, creates and trusts the development key and keeps one download secret', async () => {
    const first = await resolveArtifactSettings(config(), { production: false, root });
    expect(first).toMatchObject({
      artifactDir: join(root, '.local', 'artifacts'),
      trustedKeysDir: join(root, '.local', 'firmware-keys'),
      developmentKey: true,
      publicBaseUrl: 'http://127.0.0.1:3003',
      downloadTokenTtlSeconds: 604_800,
    });
    expect([...first.trustedKeys.keys()]).toEqual([DEV_MANUFACTURER_KEY_ID]);
    const secretFile = join(root, '.local', 'fuota', 'download-token.secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const again = await resolveArtifactSettings(config(), { production: false, root });
    expect(Buffer.from(again.downloadTokenSecret).equals(Buffer.from(first.downloadTokenSecret))).toBe(true);
    expect(first.downloadTokenSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('with a key directory named, trusts exactly its keys and creates none', async () => {
    const dir = join(root, 'keys');
    await mkdir(dir);
    const { publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'acme-2026.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const settings = await resolveArtifactSettings(
      config({ FUOTA_TRUSTED_KEYS_DIR: dir, FUOTA_PUBLIC_BASE_URL: 'https://fw.example.com/' }),
      { production: false, root },
    );
    expect([...settings.trustedKeys.values()].map((k) => [k.keyId, k.algorithm])).toEqual([
      ['acme-2026', 'ed25519'],
    ]);
    expect(settings.developmentKey).toBe(false);
    expect(settings.publicBaseUrl).toBe('https://fw.example.com');
    expect(await readdir(dir)).toEqual(['acme-2026.pub.pem']);
  });

  it('in production, requires the download secret and never creates a development key', async () => {
    await expect(resolveArtifactSettings(config(), { production: true, root })).rejects.toThrow(
      'FUOTA_DOWNLOAD_TOKEN_SECRET is required when NODE_ENV=production',
    );
    const settings = await resolveArtifactSettings(config({ FUOTA_DOWNLOAD_TOKEN_SECRET: 'p'.repeat(32) }), {
      production: true,
      root,
    });
    expect(settings.trustedKeys.size).toBe(0);
    expect(settings.developmentKey).toBe(false);
  });

  it('in development on a read-only file system, starts anyway: no development key, a secret per process', async () => {
    await writeFile(join(root, '.local'), 'a file where the directory would be');
    const warnings: string[] = [];
    const settings = await resolveArtifactSettings(config(), {
      production: false,
      root,
      warn: (message) => warnings.push(message),
    });
    expect(settings.developmentKey).toBe(false);
    expect(settings.trustedKeys.size).toBe(0);
    expect(settings.downloadTokenSecret.length).toBeGreaterThanOrEqual(32);
    expect(warnings).toEqual([
      expect.stringContaining('cannot create the development manufacturer key'),
      expect.stringContaining('links last until the next restart'),
    ]);
  });
});
