import { generateKeyPairSync } from 'node:crypto';
import {
  compareFirmwareVersions,
  decodePackageHeader,
  encodeFirmwarePackage,
  isDowngrade,
  parseFirmwareVersion,
  sha256Hex,
  signFirmware,
  trustedKeyFromPem,
  verifyFirmwarePackage,
  type SignatureAlgorithm,
} from './index';

const keys = (algorithm: SignatureAlgorithm) =>
  algorithm === 'ecdsa-p256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('ed25519');

describe.each(['ecdsa-p256', 'ed25519'] as const)('a %s signed package', (algorithm) => {
  const { privateKey, publicKey } = keys(algorithm);
  const trusted = trustedKeyFromPem(
    'acme-2026',
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  const image = Buffer.from('firmware image bytes '.repeat(100));
  const facts = { sha256: sha256Hex(image), size: image.length, version: '1.4.3' };
  const signature = signFirmware(facts, privateKey, algorithm);
  const pack = encodeFirmwarePackage({ algorithm, keyId: 'acme-2026', version: '1.4.3', signature }, image);

  it('verifies with the trusted key and gives back the image', () => {
    const check = verifyFirmwarePackage(pack, [trusted]);
    expect(check.ok && check.image.equals(image)).toBe(true);
    expect(trusted.algorithm).toBe(algorithm);
  });

  it('is refused when one image byte changed', () => {
    const tampered = Buffer.from(pack);
    tampered[tampered.length - 1]! ^= 1;
    expect(verifyFirmwarePackage(tampered, [trusted])).toMatchObject({ ok: false, refusal: 'hash-mismatch' });
  });

  it('is refused when the version in its header was changed (a signed old image passed off as new)', () => {
    const relabelled = encodeFirmwarePackage(
      { algorithm, keyId: 'acme-2026', version: '9.0.0', signature },
      image,
    );
    expect(verifyFirmwarePackage(relabelled, [trusted])).toMatchObject({
      ok: false,
      refusal: 'bad-signature',
    });
  });

  it('is refused when signed by a key the device does not trust', () => {
    const other = keys(algorithm).privateKey;
    const forged = encodeFirmwarePackage(
      { algorithm, keyId: 'acme-2026', version: '1.4.3', signature: signFirmware(facts, other, algorithm) },
      image,
    );
    expect(verifyFirmwarePackage(forged, [trusted])).toMatchObject({ ok: false, refusal: 'bad-signature' });
    const unknown = encodeFirmwarePackage(
      { algorithm, keyId: 'someone-else', version: '1.4.3', signature },
      image,
    );
    expect(verifyFirmwarePackage(unknown, [trusted])).toMatchObject({ ok: false, refusal: 'unknown-key' });
  });

  it('is refused when cut short, and its header can be read from a prefix', () => {
    expect(verifyFirmwarePackage(pack.subarray(0, pack.length - 10), [trusted])).toMatchObject({
      ok: false,
      refusal: 'truncated',
    });
    expect(decodePackageHeader(pack.subarray(0, 20))).toBeUndefined();
    expect(decodePackageHeader(pack)?.header).toMatchObject({ keyId: 'acme-2026', size: image.length });
  });
});

describe('firmware versions', () => {
  it('parses semantic versions and refuses others', () => {
    expect(parseFirmwareVersion('v1.4.3')).toBe('1.4.3');
    expect(() => parseFirmwareVersion('latest')).toThrow('not a semantic version');
  });

  it('orders versions, pre-releases before releases, and spots downgrades', () => {
    expect(compareFirmwareVersions('1.10.0', '1.9.9')).toBeGreaterThan(0);
    expect(compareFirmwareVersions('2.0.0-rc.1', '2.0.0')).toBeLessThan(0);
    expect(isDowngrade('1.4.3', '1.4.2')).toBe(true);
    expect(isDowngrade('1.4.3', '1.5.0')).toBe(false);
    expect(isDowngrade(null, '0.1.0')).toBe(false);
  });
});
