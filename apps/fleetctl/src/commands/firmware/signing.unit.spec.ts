import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustedKeyFromPem, verifyFirmwareSignature } from '@fleet/firmware';
import { run } from '../../program';
import { keyIdOfPath, loadSigningKey, signImage } from './signing';

describe('fleetctl firmware signing', () => {
  let dir: string;
  const image = randomBytes(300_000);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetctl-firmware-'));
    await writeFile(join(dir, 'image.bin'), image);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['keys/acme-2026.key.pem', 'acme-2026'],
    ['acme.private.pem', 'acme'],
    ['/x/acme.pem', 'acme'],
  ])('takes the key id of %s to be %s', (path, keyId) => {
    expect(keyIdOfPath(path)).toBe(keyId);
  });

  it.each([
    ['ecdsa-p256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ed25519', () => generateKeyPairSync('ed25519')],
  ] as const)('signs with an %s key what the server verifies', async (algorithm, generate) => {
    const { privateKey, publicKey } = generate();
    const pem = join(dir, `acme-${algorithm}.key.pem`);
    await writeFile(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signed = await signImage(join(dir, 'image.bin'), 'v1.4.3', await loadSigningKey(pem));
    expect(signed).toMatchObject({
      version: '1.4.3',
      size: image.length,
      sha256: createHash('sha256').update(image).digest('hex'),
      keyId: `acme-${algorithm}`,
      algorithm,
    });
    const trusted = trustedKeyFromPem('acme', publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect(
      verifyFirmwareSignature(signed, Buffer.from(signed.signature, 'base64'), trusted.publicKey, algorithm),
    ).toBe(true);
  });

  it('prints the metadata as JSON with `firmware sign`, and refuses a key that is not one (exit 2)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = join(dir, 'cli.key.pem');
    await writeFile(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t) };
    const args = [
      'firmware',
      'sign',
      '--key',
      pem,
      '--key-id',
      'acme',
      '--version',
      '2.0.0',
      join(dir, 'image.bin'),
    ];
    expect(await run(args, io, {})).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ version: '2.0.0', keyId: 'acme', size: image.length });
    await writeFile(join(dir, 'junk.pem'), 'not a key');
    expect(
      await run(['firmware', 'sign', '--key', join(dir, 'junk.pem'), '--version', '2.0.0', pem], io, {}),
    ).toBe(2);
    expect(stderr).toContain('--key');
  });
});
