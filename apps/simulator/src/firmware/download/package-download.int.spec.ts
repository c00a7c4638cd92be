import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ensureDevManufacturerKey, type TrustedKey } from '@fleet/firmware';
import { downloadPackage, type DownloadOptions } from './package-download';
import { PackageServer, signedPackage, tampered } from './package-server.test-support';
import { PackageVerifier } from './package-verifier';

const CHUNK = 64 * 1024;

describe('package download over HTTP with Range, verified as it arrives', () => {
  const server = new PackageServer();
  let dir: string;
  let trusted: TrustedKey[];
  let pkg: Buffer;
  let uri: string;

  beforeAll(async () => {
    await server.start();
    dir = await mkdtemp(join(tmpdir(), 'sim-fw-'));
    const key = await ensureDevManufacturerKey(dir);
    trusted = [key.trusted];
    pkg = signedPackage('2.0.0', 300_000, { keyId: key.trusted.keyId, privateKey: key.privateKey });
    uri = server.serve('/packages/fw-2.0.0.bin', pkg);
  });
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.ignoreRanges = false;
  });

  /** Downloads `from` into a verifier; the outcome and the verification of what arrived. */
  async function download(
    from: string,
    options: Partial<DownloadOptions> & { maxPackageBytes?: number } = {},
  ) {
    const verifier = new PackageVerifier(options.maxPackageBytes ?? 32 * 1024 * 1024);
    const outcome = await downloadPackage(from, {
      chunkBytes: CHUNK,
      retries: 3,
      retryDelayMs: 10,
      requestTimeoutMs: 5_000,
      signal: new AbortController().signal,
      onBytes: (bytes) => verifier.update(bytes),
      ...options,
    });
    return { outcome, verified: outcome.ok ? verifier.finish(trusted) : undefined };
  }

  it('given a signed package, when downloaded, then it comes in 64 KiB ranges and verifies', async () => {
    const { outcome, verified } = await download(uri);
    expect(outcome).toEqual({ ok: true, bytes: pkg.length, requests: Math.ceil(pkg.length / CHUNK) });
    expect(verified).toMatchObject({ ok: true, header: { version: '2.0.0', keyId: 'fleetwise-dev' } });
    expect(server.requests.map((r) => [r.status, r.range])).toEqual(
      Array.from({ length: Math.ceil(pkg.length / CHUNK) }, (_, i) => [
        206,
        `bytes=${i * CHUNK}-${Math.min((i + 1) * CHUNK, pkg.length) - 1}`,
      ]),
    );
  });

  it('given connections that drop mid-body, when downloaded, then it resumes from the last byte received', async () => {
    server.dropConnections(2, 10_000);
    const { outcome, verified } = await download(uri);
    expect(outcome).toMatchObject({ ok: true, bytes: pkg.length });
    expect(verified?.ok).toBe(true);
    // The first two requests broke after 10,000 bytes each, so the third asks from 20,000.
    expect(server.requests.slice(0, 3).map((r) => r.range)).toEqual([
      `bytes=0-${CHUNK - 1}`,
      `bytes=10000-${10_000 + CHUNK - 1}`,
      `bytes=20000-${20_000 + CHUNK - 1}`,
    ]);
  });

  it('given a server that answers 503 a few times, when downloaded, then it retries and succeeds', async () => {
    server.failRequests(3, 503);
    expect((await download(uri)).outcome.ok).toBe(true);
  });

  it('given a server that keeps answering 503, when downloaded, then connection lost (result 4) after the retries', async () => {
    server.failRequests(4, 503);
    const { outcome } = await download(uri);
    expect(outcome).toEqual({
      ok: false,
      result: 4,
      reason: 'connection lost during download after 0 bytes: HTTP 503',
    });
    expect(server.requests).toHaveLength(4);
  });

  it('given a server without Range support, when downloaded, then the whole package is taken from one 200', async () => {
    server.ignoreRanges = true;
    const { outcome, verified } = await download(uri);
    expect(outcome).toMatchObject({ ok: true, bytes: pkg.length, requests: 1 });
    expect(verified?.ok).toBe(true);
  });

  it('given an unknown package, when downloaded, then invalid URI (result 7) without the token in the reason', async () => {
    const { outcome } = await download(uri.replace('fw-2.0.0', 'nope'));
    expect(outcome).toEqual({
      ok: false,
      result: 7,
      reason: expect.stringMatching(/\/packages\/nope\.bin answered HTTP 404$/),
    });
    expect(JSON.stringify(outcome)).not.toContain('token');
  });

  it('given bytes that are not a package, when the first ones arrive, then unsupported package (result 6) at once', async () => {
    const html = server.serve('/index.html', Buffer.from('<html>'.padEnd(200_000, ' ')));
    const { outcome } = await download(html);
    expect(outcome).toEqual({ ok: false, result: 6, reason: 'not a firmware package (bad magic)' });
    expect(server.requests).toHaveLength(1);
  });

  it('given a package larger than the flash, when its header arrives, then not enough flash (result 2)', async () => {
    const { outcome } = await download(uri, { maxPackageBytes: 100_000 });
    expect(outcome).toMatchObject({ ok: false, result: 2 });
    expect(server.requests).toHaveLength(1);
  });

  it('given a tampered image, when verified, then integrity check failure (result 5)', async () => {
    const { verified } = await download(server.serve('/tampered.bin', tampered(pkg)));
    expect(verified).toMatchObject({ ok: false, result: 5, reason: expect.stringMatching(/^SHA-256 /) });
  });

  it('given a package signed by a key the device does not trust, when verified, then result 5', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = signedPackage('2.0.0', 1_000, { keyId: 'someone-else', privateKey });
    const { verified } = await download(server.serve('/foreign.bin', foreign));
    expect(verified).toEqual({ ok: false, result: 5, reason: 'no trusted ecdsa-p256 key someone-else' });
  });

  it('given a download in progress, when cancelled, then it stops', async () => {
    const controller = new AbortController();
    server.dropConnections(1, 1_000);
    const done = download(uri, { signal: controller.signal, retryDelayMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect((await done).outcome).toEqual({ ok: false, result: 4, reason: 'the download was cancelled' });
  });
});
