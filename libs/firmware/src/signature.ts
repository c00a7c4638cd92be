import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ValidationError } from '@fleet/core';

/** Signature algorithms a manufacturer may sign images with; ECDSA P-256 is the default. */
export const SIGNATURE_ALGORITHMS = ['ecdsa-p256', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** What a signature vouches for: the image's digest and size, and the version it claims to be. */
export interface SignedFacts {
  /** SHA-256 of the image, lowercase hex. */
  readonly sha256: string;
  readonly size: number;
  readonly version: string;
}

/**
 * The bytes that are signed. Signing the digest rather than the image lets a device (and the
 * server, while it streams an upload to disk) verify without holding the image in memory, and
 * binding the version stops a valid old image from being passed off as a new one (rollback).
 */
export function signedMessage(facts: SignedFacts): Buffer {
  if (!/^[0-9a-f]{64}$/.test(facts.sha256))
    throw new ValidationError('sha256 must be 64 lowercase hex digits');
  return Buffer.from(`fleetwise-firmware-v1\n${facts.sha256}\n${facts.size}\n${facts.version}\n`, 'utf8');
}

/** ECDSA signatures are raw r‖s (64 bytes, IEEE P1363), as constrained devices and JOSE carry them. */
const options = (algorithm: SignatureAlgorithm) =>
  algorithm === 'ecdsa-p256'
    ? { digest: 'sha256', dsaEncoding: 'ieee-p1363' as const }
    : { digest: null, dsaEncoding: undefined };

/** Signs like a manufacturer's build pipeline does (tools, tests, the simulator). */
export function signFirmware(
  facts: SignedFacts,
  privateKey: KeyObject,
  algorithm: SignatureAlgorithm,
): Buffer {
  const { digest, dsaEncoding } = options(algorithm);
  return sign(digest, signedMessage(facts), dsaEncoding ? { key: privateKey, dsaEncoding } : privateKey);
}

export function verifyFirmwareSignature(
  facts: SignedFacts,
  signature: Buffer,
  publicKey: KeyObject,
  algorithm: SignatureAlgorithm,
): boolean {
  const { digest, dsaEncoding } = options(algorithm);
  try {
    return verify(
      digest,
      signedMessage(facts),
      dsaEncoding ? { key: publicKey, dsaEncoding } : publicKey,
      signature,
    );
  } catch {
    return false;
  }
}

/** The algorithm a public key is for, or an error naming what is wrong with it. */
export function algorithmOfKey(publicKey: KeyObject): SignatureAlgorithm {
  if (publicKey.type !== 'public') throw new ValidationError('a trusted key must be a public key');
  if (publicKey.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (publicKey.asymmetricKeyType === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa-p256';
  }
  throw new ValidationError(
    `unsupported key type ${publicKey.asymmetricKeyType ?? 'unknown'}: use ECDSA P-256 or Ed25519`,
  );
}

/** A manufacturer key the fleet trusts, by its id. */
export interface TrustedKey {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
}

/** Parses a PEM (SPKI) public key into a trusted key. */
export function trustedKeyFromPem(keyId: string, pem: string): TrustedKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (error) {
    throw new ValidationError(`key ${keyId} is not a PEM public key: ${(error as Error).message}`);
  }
  return { keyId, algorithm: algorithmOfKey(publicKey), publicKey };
}
