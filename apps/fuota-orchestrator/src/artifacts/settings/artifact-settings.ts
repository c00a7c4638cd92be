import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findRepoRoot } from '@fleet/auth';
import { ensureDevManufacturerKey, loadTrustedKeys, type TrustedKey } from '@fleet/firmware';
import type { ArtifactConfig } from '../artifact-config';

/** The artifacts feature's configuration, resolved once at start-up. */
export interface ArtifactSettings {
  readonly artifactDir: string;
  readonly trustedKeysDir: string;
  /** Manufacturer keys uploads may be signed with, by key id. */
  readonly trustedKeys: ReadonlyMap<string, TrustedKey>;
  /** Whether the development manufacturer key was ensured (no explicit directory, not production). */
  readonly developmentKey: boolean;
  readonly downloadTokenSecret: Uint8Array;
  readonly downloadTokenTtlSeconds: number;
  /** No trailing slash. */
  readonly publicBaseUrl: string;
  readonly maxImageBytes: number;
}

export const ARTIFACT_SETTINGS = Symbol('ARTIFACT_SETTINGS');

export interface SettingsContext {
  readonly production: boolean;
  /** Where defaults live; the repository root unless a test says otherwise. */
  readonly root: string;
  /** Where development fallbacks are reported. */
  readonly warn?: (message: string) => void;
}

/**
 * Resolves directories, keys and the download-token secret. Production must name the secret (a
 * missing one would make every replica invent its own, and links from one fail on another);
 * development keeps a random one in `.local/fuota`, so links survive restarts.
 */
export async function resolveArtifactSettings(
  config: ArtifactConfig,
  context: SettingsContext = {
    production: process.env['NODE_ENV'] === 'production',
    root: findRepoRoot(),
  },
): Promise<ArtifactSettings> {
  const local = join(context.root, '.local');
  const trustedKeysDir = resolve(config.FUOTA_TRUSTED_KEYS_DIR ?? join(local, 'firmware-keys'));
  const warn = context.warn ?? (() => undefined);
  const developmentKey =
    !config.FUOTA_TRUSTED_KEYS_DIR && !context.production && (await devKeyEnsured(trustedKeysDir, warn));
  const keys = await loadTrustedKeys(trustedKeysDir);
  let secret = config.FUOTA_DOWNLOAD_TOKEN_SECRET;
  if (!secret) {
    if (context.production) {
      throw new Error('FUOTA_DOWNLOAD_TOKEN_SECRET is required when NODE_ENV=production');
    }
    secret = await devSecret(join(local, 'fuota', 'download-token.secret'), warn);
  }
  return {
    artifactDir: resolve(config.FUOTA_ARTIFACT_DIR ?? join(local, 'artifacts')),
    trustedKeysDir,
    trustedKeys: new Map(keys.map((k) => [k.keyId, k])),
    developmentKey,
    downloadTokenSecret: new TextEncoder().encode(secret),
    downloadTokenTtlSeconds: config.FUOTA_DOWNLOAD_TOKEN_TTL_SECONDS,
    publicBaseUrl: (config.FUOTA_PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.HTTP_PORT}`).replace(
      /\/+$/,
      '',
    ),
    maxImageBytes: config.FUOTA_MAX_IMAGE_BYTES,
  };
}

/** A read-only image (compose) still starts: it trusts what the key directory already holds. */
async function devKeyEnsured(dir: string, warn: (message: string) => void): Promise<boolean> {
  try {
    await ensureDevManufacturerKey(dir);
    return true;
  } catch (error) {
    warn(`cannot create the development manufacturer key in ${dir}: ${(error as Error).message}`);
    return false;
  }
}

/** The kept development secret, or (read-only file system) one for this process only. */
async function devSecret(path: string, warn: (message: string) => void): Promise<string> {
  try {
    return await ensureDevSecret(path);
  } catch (error) {
    warn(
      `cannot keep a download-token secret in ${path} (${(error as Error).message}): links last until the next restart`,
    );
    return randomBytes(32).toString('base64url');
  }
}

/** A random secret created on first use; concurrent first uses agree on one (link fails on EEXIST). */
async function ensureDevSecret(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  return (await readFile(path, 'utf8')).trim();
}
