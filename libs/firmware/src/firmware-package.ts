import { createHash } from 'node:crypto';
import { ValidationError } from '@fleet/core';
import { verifyFirmwareSignature, type SignatureAlgorithm, type TrustedKey } from './signature';

/**
 * The signed firmware package devices receive, over HTTP (LwM2M pull) or as a LoRaWAN multicast
 * data block: a short header that carries what the device needs to check the image before it
 * applies it (who signed, the version, the signature, the digest), then the image.
 *
 * ```
 * "FWP1" | alg (1 = ecdsa-p256, 2 = ed25519) | keyIdLen u8 | keyId | versionLen u8 | version
 *        | sigLen u8 | signature | sha256 (32) | imageLen u32 BE | image
 * ```
 */
export interface PackageHeader {
  readonly algorithm: SignatureAlgorithm;
  readonly keyId: string;
  readonly version: string;
  readonly signature: Buffer;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly size: number;
}

const MAGIC = Buffer.from('FWP1', 'ascii');
const ALGORITHM_CODES: Record<SignatureAlgorithm, number> = { 'ecdsa-p256': 1, ed25519: 2 };
/** The largest header: magic, algorithm, three length-prefixed fields of at most 255 bytes, digest, size. */
export const MAX_PACKAGE_HEADER_BYTES = 4 + 1 + 3 * 256 + 32 + 4;

export function encodePackageHeader(header: PackageHeader): Buffer {
  const text = (name: string, value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length === 0 || bytes.length > 255) throw new ValidationError(`${name} must be 1-255 bytes`);
    return [Buffer.of(bytes.length), bytes];
  };
  if (header.signature.length === 0 || header.signature.length > 255) {
    throw new ValidationError('signature must be 1-255 bytes');
  }
  if (!Number.isInteger(header.size) || header.size < 0 || header.size > 0xffffffff) {
    throw new ValidationError('image size must fit in 32 bits');
  }
  const size = Buffer.alloc(4);
  size.writeUInt32BE(header.size);
  return Buffer.concat([
    MAGIC,
    Buffer.of(ALGORITHM_CODES[header.algorithm]),
    ...text('keyId', header.keyId),
    ...text('version', header.version),
    Buffer.of(header.signature.length),
    header.signature,
    Buffer.from(header.sha256, 'hex'),
    size,
  ]);
}

/** A whole package in memory (tests, the simulator, multicast blocks). */
export const encodeFirmwarePackage = (
  header: Omit<PackageHeader, 'sha256' | 'size'>,
  image: Buffer,
): Buffer =>
  Buffer.concat([encodePackageHeader({ ...header, sha256: sha256Hex(image), size: image.length }), image]);

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Reads the header from the start of a package; `undefined` while `bytes` is too short to hold
 * it (a device reading its first chunk), a ValidationError when it is not a package.
 */
export function decodePackageHeader(bytes: Buffer): { header: PackageHeader; length: number } | undefined {
  if (bytes.length < MAGIC.length) return undefined;
  if (!bytes.subarray(0, 4).equals(MAGIC)) throw new ValidationError('not a firmware package (bad magic)');
  let offset = 4;
  const need = (n: number) => offset + n <= bytes.length;
  if (!need(1)) return undefined;
  const code = bytes[offset++]!;
  const algorithm = (Object.keys(ALGORITHM_CODES) as SignatureAlgorithm[]).find(
    (a) => ALGORITHM_CODES[a] === code,
  );
  if (!algorithm) throw new ValidationError(`unknown signature algorithm code ${code}`);
  const field = (): Buffer | undefined => {
    if (!need(1)) return undefined;
    const length = bytes[offset]!;
    if (!need(1 + length)) return undefined;
    const value = bytes.subarray(offset + 1, offset + 1 + length);
    offset += 1 + length;
    return value;
  };
  const keyId = field();
  const version = keyId && field();
  const signature = version && field();
  if (!keyId || !version || !signature || !need(36)) return undefined;
  const sha256 = bytes.subarray(offset, offset + 32).toString('hex');
  const size = bytes.readUInt32BE(offset + 32);
  offset += 36;
  return {
    header: {
      algorithm,
      keyId: keyId.toString('utf8'),
      version: version.toString('utf8'),
      signature: Buffer.from(signature),
      sha256,
      size,
    },
    length: offset,
  };
}

/** Why a device refuses a package; each maps to LwM2M Update Result 5 (integrity check failure) or 6. */
export type PackageRefusal =
  'not-a-package' | 'truncated' | 'hash-mismatch' | 'unknown-key' | 'bad-signature';

export type PackageCheck =
  | { readonly ok: true; readonly header: PackageHeader; readonly image: Buffer }
  | { readonly ok: false; readonly refusal: PackageRefusal; readonly detail: string };

/** What a device does before it applies a package: digest, then signature by a key it trusts. */
export function verifyFirmwarePackage(bytes: Buffer, trustedKeys: readonly TrustedKey[]): PackageCheck {
  let decoded: ReturnType<typeof decodePackageHeader>;
  try {
    decoded = decodePackageHeader(bytes);
  } catch (error) {
    return { ok: false, refusal: 'not-a-package', detail: (error as Error).message };
  }
  if (!decoded) return { ok: false, refusal: 'truncated', detail: 'the package header is incomplete' };
  const { header, length } = decoded;
  const image = bytes.subarray(length);
  if (image.length !== header.size) {
    return {
      ok: false,
      refusal: 'truncated',
      detail: `image is ${image.length} bytes, the header says ${header.size}`,
    };
  }
  const actual = sha256Hex(image);
  if (actual !== header.sha256) {
    return { ok: false, refusal: 'hash-mismatch', detail: `SHA-256 ${actual} differs from ${header.sha256}` };
  }
  const key = trustedKeys.find((k) => k.keyId === header.keyId && k.algorithm === header.algorithm);
  if (!key)
    return {
      ok: false,
      refusal: 'unknown-key',
      detail: `no trusted ${header.algorithm} key ${header.keyId}`,
    };
  if (!verifyFirmwareSignature(header, header.signature, key.publicKey, header.algorithm)) {
    return {
      ok: false,
      refusal: 'bad-signature',
      detail: `signature does not verify with key ${header.keyId}`,
    };
  }
  return { ok: true, header, image };
}

/** LwM2M object 5 Update Result for a refused package. */
export const updateResultOf = (refusal: PackageRefusal): number => (refusal === 'not-a-package' ? 6 : 5);
