import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signFirmware, trustedKeyFromPem, type SignatureAlgorithm, type TrustedKey } from '@fleet/firmware';
import type { ArtifactDeclaration } from './artifact';
import { checkDeclaration } from './declaration-check';

function manufacturerKey(
  keyId: string,
  algorithm: SignatureAlgorithm,
): { trusted: TrustedKey; privateKey: KeyObject } {
  const pair =
    algorithm === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { trusted: trustedKeyFromPem(keyId, pem), privateKey: pair.privateKey };
}

describe.each(['ecdsa-p256', 'ed25519'] as const)('checkDeclaration with an %s key', (algorithm) => {
  const acme = manufacturerKey('acme', algorithm);
  const other = manufacturerKey('other', algorithm === 'ed25519' ? 'ecdsa-p256' : 'ed25519');
  const keys = new Map([
    ['acme', acme.trusted],
    ['other', other.trusted],
  ]);
  const facts = { sha256: 'c'.repeat(64), size: 4096, version: '2.0.0' };
  const signed: ArtifactDeclaration = {
    ...facts,
    models: ['WM-200'],
    hardwareRevisions: [],
    releaseNotes: null,
    signature: signFirmware(facts, acme.privateKey, algorithm).toString('base64'),
    keyId: 'acme',
    algorithm,
  };

  it('accepts a declaration signed by a trusted key over its sha256, size and version', () => {
    expect(checkDeclaration(signed, keys)).toEqual({ ok: true });
  });

  it.each([
    ['no signature', { signature: null }, 'unsigned'],
    ['a key nobody trusts', { keyId: 'mallory' }, 'unknown-key'],
    ['the algorithm of another key', { keyId: 'other' }, 'algorithm-mismatch'],
    ['another size than signed', { size: 4097 }, 'bad-signature'],
    ['another version than signed', { version: '2.0.1' }, 'bad-signature'],
    ['another digest than signed', { sha256: 'd'.repeat(64) }, 'bad-signature'],
    ['a signature that is not one', { signature: 'AAAA' }, 'bad-signature'],
  ] as const)('refuses a declaration with %s (%s)', (_what, change, reason) => {
    const check = checkDeclaration({ ...signed, ...change }, keys);
    expect(check).toMatchObject({ ok: false, reason, detail: expect.any(String) });
  });

  it('names the trusted keys when the key is unknown', () => {
    expect(checkDeclaration({ ...signed, keyId: 'mallory' }, keys)).toMatchObject({
      detail: 'key mallory is not a trusted manufacturer key (trusted: acme, other)',
    });
  });
});
