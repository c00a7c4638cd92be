import { pbkdf2, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { ValidationError } from '@fleet/core';
import { NO_CREDENTIAL, type DeviceCredential } from '../device';
import { encryptRootKey, type KeyEncryptionKey } from './key-encryption';

const derive = promisify(pbkdf2);

/** What the operator asks for; `secret` is generated, the others are supplied or generated. */
export type CredentialRequest =
  | { readonly type: 'secret' }
  | {
      readonly type: 'x509';
      readonly certificatePem?: string | undefined;
      readonly fingerprint?: string | undefined;
    }
  | { readonly type: 'lorawan-appkey'; readonly appKey?: string | undefined };

/** A credential to record, and what the caller is shown exactly once. */
export interface IssuedCredential {
  readonly credential: DeviceCredential;
  readonly oneTime: { readonly secret?: string; readonly appKey?: string };
}

/*
 * Device secrets are 256 random bits, so a slow hash adds no protection against guessing; the
 * PBKDF2 parameters only keep the format compatible with MQTT brokers' password files
 * (Mosquitto's dynamic security stores PBKDF2-SHA512, 101 iterations by default), and keep bulk
 * provisioning of 10,000 devices cheap.
 */
const HASH_ITERATIONS = 101;
const HASH_PREFIX = '$pbkdf2-sha512$';

export async function hashSecret(secret: string, salt = randomBytes(16)): Promise<string> {
  const hash = await derive(secret, salt, HASH_ITERATIONS, 64, 'sha512');
  return `${HASH_PREFIX}i=${HASH_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const [, , params, salt, hash] = encoded.split('$');
  const iterations = Number(params?.slice(2));
  if (!salt || !hash || !Number.isInteger(iterations)) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(secret, Buffer.from(salt, 'base64'), iterations, expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}

/** Turns a credential request into what is recorded (hashes, fingerprints, ciphertexts only). */
export class CredentialIssuer {
  constructor(private readonly kek: KeyEncryptionKey) {}

  async issue(deviceId: string, request: CredentialRequest, now = new Date()): Promise<IssuedCredential> {
    switch (request.type) {
      case 'secret': {
        const secret = randomBytes(32).toString('base64url');
        return {
          credential: { ...NO_CREDENTIAL, secretHash: await hashSecret(secret) },
          oneTime: { secret },
        };
      }
      case 'x509':
        return {
          credential: { ...NO_CREDENTIAL, type: 'x509', ...certificateFacts(request, now) },
          oneTime: {},
        };
      case 'lorawan-appkey': {
        const appKey = request.appKey?.toUpperCase() ?? randomBytes(16).toString('hex').toUpperCase();
        return {
          credential: {
            ...NO_CREDENTIAL,
            type: 'lorawan-appkey',
            appKeyCiphertext: encryptRootKey(this.kek, Buffer.from(appKey, 'hex'), deviceId),
            kekId: this.kek.id,
          },
          oneTime: request.appKey ? {} : { appKey },
        };
      }
    }
  }
}

function certificateFacts(
  request: Extract<CredentialRequest, { type: 'x509' }>,
  now: Date,
): Pick<DeviceCredential, 'certificateFingerprint' | 'certificateNotAfter'> {
  if (request.certificatePem) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(request.certificatePem);
    } catch (error) {
      throw new ValidationError(
        `credentials.certificatePem: not a PEM X.509 certificate (${(error as Error).message})`,
      );
    }
    const notAfter = new Date(certificate.validTo);
    if (notAfter.getTime() <= now.getTime()) {
      throw new ValidationError(
        `credentials.certificatePem: the certificate expired on ${notAfter.toISOString()}`,
      );
    }
    return {
      certificateFingerprint: certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
      certificateNotAfter: notAfter.toISOString(),
    };
  }
  if (request.fingerprint) {
    return {
      certificateFingerprint: request.fingerprint.replaceAll(':', '').toLowerCase(),
      certificateNotAfter: null,
    };
  }
  throw new ValidationError('credentials: an x509 credential needs certificatePem or fingerprint');
}
