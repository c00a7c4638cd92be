import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A key-encryption key (KEK): AES-256, identified so that ciphertexts name the key they need. */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

const FORMAT = 'v1';

/**
 * Encrypts a root key (e.g. a LoRaWAN AppKey) with AES-256-GCM. The device id is bound as
 * additional authenticated data, so a ciphertext copied onto another device does not decrypt.
 * Result: `v1.<kek id>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
export function encryptRootKey(kek: KeyEncryptionKey, plaintext: Buffer, deviceId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(Buffer.from(deviceId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [FORMAT, kek.id, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function decryptRootKey(keks: readonly KeyEncryptionKey[], sealed: string, deviceId: string): Buffer {
  const [format, kekId, iv, ciphertext, tag] = sealed.split('.');
  if (format !== FORMAT || !kekId || !iv || !ciphertext || !tag) throw new Error('not a sealed root key');
  const kek = keks.find((k) => k.id === kekId);
  if (!kek) throw new Error(`key-encryption key ${kekId} is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(deviceId, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
}

/** Parses a base64 KEK from configuration; @throws when it is not 32 bytes. */
export function parseKek(id: string, base64: string): KeyEncryptionKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error(`DEVICE_KEK must be 32 bytes in base64, got ${key.length} bytes`);
  return { id, key };
}

/** Development only: a KEK kept in a git-ignored file, created on first use. */
export async function devKek(file: string): Promise<KeyEncryptionKey> {
  try {
    return parseKek('dev-kek', (await readFile(file, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, randomBytes(32).toString('base64'), { flag: 'wx' }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  await chmod(file, 0o600);
  return parseKek('dev-kek', (await readFile(file, 'utf8')).trim());
}
