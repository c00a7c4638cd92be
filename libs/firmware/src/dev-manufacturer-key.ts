import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trustedKeyFromPem, type TrustedKey } from './signature';

/** Key id of the development manufacturer key (`npm start`, the simulator, tests, benchmarks). */
export const DEV_MANUFACTURER_KEY_ID = 'fleetwise-dev';

export interface DevManufacturerKey {
  readonly trusted: TrustedKey;
  readonly privateKey: KeyObject;
  /** Where the public key lives: `<dir>/<keyId>.pub.pem`, the layout of FUOTA_TRUSTED_KEYS_DIR. */
  readonly publicKeyPath: string;
}

/**
 * The local development manufacturer key (ECDSA P-256) in `dir` (by default `.local/firmware-keys`),
 * created on first use. Concurrent first uses race safely: each writes a whole key to a temporary
 * file and hard-links it into place, so exactly one wins and nobody reads half a file.
 */
export async function ensureDevManufacturerKey(dir: string): Promise<DevManufacturerKey> {
  const privatePath = join(dir, `${DEV_MANUFACTURER_KEY_ID}.key.pem`);
  const publicKeyPath = join(dir, `${DEV_MANUFACTURER_KEY_ID}.pub.pem`);
  let privatePem = await readFile(privatePath, 'utf8').catch(() => undefined);
  if (!privatePem) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const temp = `${privatePath}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    try {
      await link(temp, privatePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp);
    }
    privatePem = await readFile(privatePath, 'utf8');
  }
  const privateKey = createPrivateKey(privatePem);
  const publicPem = createPublicKeyPem(privateKey);
  if ((await readFile(publicKeyPath, 'utf8').catch(() => undefined)) !== publicPem) {
    const temp = `${publicKeyPath}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, publicPem, { mode: 0o644 });
    await link(temp, publicKeyPath).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await unlink(temp);
  }
  return { trusted: trustedKeyFromPem(DEV_MANUFACTURER_KEY_ID, publicPem), privateKey, publicKeyPath };
}

const createPublicKeyPem = (privateKey: KeyObject): string =>
  createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;

/** Trusted keys from a directory of `<keyId>.pub.pem` files (FUOTA_TRUSTED_KEYS_DIR, the simulator). */
export async function loadTrustedKeys(dir: string): Promise<TrustedKey[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.pub.pem')).sort();
  return Promise.all(
    names.map(async (name) =>
      trustedKeyFromPem(name.slice(0, -'.pub.pem'.length), await readFile(join(dir, name), 'utf8')),
    ),
  );
}
