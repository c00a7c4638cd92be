import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  algorithmOfKey,
  DEV_MANUFACTURER_KEY_ID,
  ensureDevManufacturerKey,
  parseFirmwareVersion,
  signFirmware,
  type SignatureAlgorithm,
} from '@fleet/firmware';

/** What `POST /artifacts` needs besides models: the facts and the signature over them. */
export interface SignedImage {
  readonly version: string;
  readonly sha256: string;
  readonly size: number;
  /** Base64. */
  readonly signature: string;
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
}

export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly algorithm: SignatureAlgorithm;
}

/** Digest and size of a file, read as a stream: images of any size, never whole in memory. */
export async function digestFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** `acme.key.pem` → `acme`; the server looks the key up as `<keyId>.pub.pem`. */
export const keyIdOfPath = (path: string): string => basename(path).replace(/(\.key|\.private)?\.pem$/, '');

/** A manufacturer's private key (PEM, PKCS#8 or SEC1), ECDSA P-256 or Ed25519. */
export async function loadSigningKey(path: string, keyId?: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(await readFile(path, 'utf8'));
  return {
    keyId: keyId ?? keyIdOfPath(path),
    privateKey,
    algorithm: algorithmOfKey(createPublicKey(privateKey)),
  };
}

/** The local development manufacturer key (created on first use), which development stacks trust. */
export async function devSigningKey(root: string): Promise<SigningKey> {
  const dev = await ensureDevManufacturerKey(join(root, '.local', 'firmware-keys'));
  return { keyId: DEV_MANUFACTURER_KEY_ID, privateKey: dev.privateKey, algorithm: dev.trusted.algorithm };
}

/** Signs a file's digest, size and version like a manufacturer's build pipeline. */
export async function signImage(path: string, version: string, key: SigningKey): Promise<SignedImage> {
  const canonical = parseFirmwareVersion(version);
  const { sha256, size } = await digestFile(path);
  const signature = signFirmware({ sha256, size, version: canonical }, key.privateKey, key.algorithm);
  return {
    version: canonical,
    sha256,
    size,
    signature: signature.toString('base64'),
    keyId: key.keyId,
    algorithm: key.algorithm,
  };
}
