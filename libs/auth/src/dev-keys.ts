import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** The local development signing key, as JWKs. */
export interface DevKeyPair {
  /** Private ES256 key (has `d`); never leaves the developer's machine. */
  readonly privateJwk: JWK;
  /** Its public half, what services verify with. */
  readonly publicJwk: JWK;
  /** RFC 7638 thumbprint, also the `kid` of tokens signed with the key. */
  readonly kid: string;
}

/** Signing algorithm of the development key (ECDSA P-256). */
export const DEV_ALGORITHM = 'ES256';
const PRIVATE_FILE = 'signing-key.private.jwk.json';
const PUBLIC_FILE = 'signing-key.public.jwk.json';

function publicHalf({ kty, crv, x, y, kid, alg, use }: JWK): JWK {
  return { kty, crv, x, y, kid, alg, use };
}

async function readPrivateKey(path: string): Promise<JWK | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read development key ${path}: ${(error as Error).message}`);
  }
}

async function generatePrivateKey(): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: DEV_ALGORITHM, use: 'sig' };
}

/**
 * Returns the development key pair in `dir`, creating it on first use.
 *
 * Several processes (services starting together, `npm run token`) may race to create it. Each
 * writes a complete private key to a temporary file and hard-links it into place: `link` fails
 * when the target exists, so exactly one key wins and nobody ever reads a half-written file. The
 * losers adopt the winner's key. The private file is mode 0600, the directory 0700.
 */
export async function ensureDevKeyPair(dir: string): Promise<DevKeyPair> {
  const privatePath = join(dir, PRIVATE_FILE);
  let privateJwk = await readPrivateKey(privatePath);
  if (!privateJwk) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const candidate = await generatePrivateKey();
    const temp = `${privatePath}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(candidate, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    try {
      await link(temp, privatePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp);
    }
    privateJwk = await readPrivateKey(privatePath);
    if (!privateJwk) throw new Error(`development key ${privatePath} vanished while being created`);
  }
  const publicJwk = publicHalf(privateJwk);
  await writePublicKey(join(dir, PUBLIC_FILE), publicJwk);
  return { privateJwk, publicJwk, kid: privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk)) };
}

/** The public file is derived data (handy for a local JWKS or jwt.io); rename makes it atomic. */
async function writePublicKey(path: string, jwk: JWK): Promise<void> {
  const content = JSON.stringify(jwk, null, 2) + '\n';
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing === content) return;
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode: 0o644 });
  await rename(temp, path);
}
