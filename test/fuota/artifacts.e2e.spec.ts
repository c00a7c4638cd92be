import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodePackageHeader, verifyFirmwarePackage } from '@fleet/firmware';
import {
  FuotaArtifactsHarness,
  generateTestKey,
  sha256Of,
  signedDeclaration,
  type ArtifactBody,
} from '../support/fuota-artifacts-harness';
import { DownloadTokens } from '../../apps/fuota-orchestrator/src/artifacts/download/download-tokens';

const MiB = 1024 * 1024;
const root = resolve(__dirname, '..', '..');

/** fleetctl from its sources, as `npm run fleetctl` runs it; no token: it issues its own. */
function fleetctl(args: readonly string[], env: Record<string, string>) {
  const inherited = { ...process.env };
  delete inherited['FLEET_TOKEN'];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(resolve(root, 'node_modules/.bin/tsx'), ['apps/fleetctl/src/main.ts', ...args], {
      cwd: root,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

interface HistoryBody {
  items: {
    type: string;
    actor: { type: string; id: string };
    correlationId: string;
    data: Record<string, unknown>;
  }[];
}

// fuota-orchestrator from dist against PostgreSQL: signed uploads in two steps, refusals kept in
// the artifact's history, and device downloads (whole, by ranges) with per-device tokens.
describe('firmware artifacts', () => {
  const harness = new FuotaArtifactsHarness();
  const image = randomBytes(2 * MiB);
  let published: ArtifactBody;
  let link: { url: string; expiresAt: string };

  beforeAll(async () => {
    await harness.start();
    published = await harness.publish(image, '1.4.3', harness.ecdsa, {
      models: ['WM-200', 'WM-300'],
      releaseNotes: 'leak detector fix',
    });
    link = await harness.downloadLink(published.artifactId, 'meter-42');
  }, 120_000);
  afterAll(() => harness.stop());

  const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(url, { method, headers });

  describe('upload', () => {
    it('declares, then streams the image, and publishes the signed package', async () => {
      const image = randomBytes(300_000);
      const declared = await harness.declare(signedDeclaration(image, '2.0.0', harness.ecdsa), {
        'x-correlation-id': 'release-2.0.0',
      });
      expect(declared.status).toBe(201);
      expect(declared.body).toMatchObject({ status: 'awaiting-image', version: '2.0.0', createdBy: 'oscar' });
      const uploaded = await harness.uploadImage(declared.body.artifactId, image);
      expect(uploaded.status).toBe(200);
      expect(uploaded.body).toMatchObject({
        status: 'published',
        sha256: sha256Of(image),
        size: image.length,
      });

      const history = await harness.json<HistoryBody>(`/artifacts/${declared.body.artifactId}/history`, {
        token: harness.tokens.viewer,
      });
      expect(history.body.items.map((e) => e.type)).toEqual(['ArtifactDeclared', 'ArtifactPublished']);
      expect(history.body.items[0]).toMatchObject({
        actor: { type: 'operator', id: 'oscar' },
        correlationId: 'release-2.0.0',
      });
    });

    it('published the 2 MiB artifact, listed and shown to viewers', async () => {
      expect(published).toMatchObject({ status: 'published', size: 2 * MiB, keyId: 'e2e-ecdsa' });
      const shown = await harness.json<ArtifactBody>(`/artifacts/${published.artifactId}`, {
        token: harness.tokens.viewer,
      });
      expect(shown.body).toEqual(published);
      const listed = await harness.json<{ items: ArtifactBody[] }>('/artifacts?model=WM-300&version=1.4.3', {
        token: harness.tokens.viewer,
      });
      expect(listed.body.items.map((a) => a.artifactId)).toEqual([published.artifactId]);
      const none = await harness.json<{ items: ArtifactBody[] }>('/artifacts?model=WM-999');
      expect(none.body.items).toEqual([]);
      const rows = await harness.sql<{ status: string }>(
        'select status from fuota_artifacts where artifact_id = $1',
        [published.artifactId],
      );
      expect(rows).toEqual([{ status: 'published' }]);
    });

    it('accepts Ed25519 signatures', async () => {
      const small = randomBytes(10_000);
      const artifact = await harness.publish(small, '1.0.0', harness.ed25519, { models: ['TR-1'] });
      expect(artifact).toMatchObject({ status: 'published', algorithm: 'ed25519' });
    });

    it('refuses a version already published for one of the models (409), not for other models', async () => {
      const again = await harness.declare(
        signedDeclaration(randomBytes(100), '1.4.3', harness.ecdsa, { models: ['WM-300', 'WM-400'] }),
      );
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(
        `version 1.4.3 is already published for WM-300 as artifact ${published.artifactId}`,
      );
      const otherModel = await harness.declare(
        signedDeclaration(randomBytes(100), '1.4.3', harness.ecdsa, { models: ['WM-400'] }),
      );
      expect(otherModel.status).toBe(201);
    });

    it('lets viewers read but not upload, and checks the body precisely (400)', async () => {
      const asViewer = await harness.json('/artifacts', {
        method: 'POST',
        token: harness.tokens.viewer,
        body: JSON.stringify(signedDeclaration(randomBytes(10), '3.0.0', harness.ecdsa)),
      });
      expect(asViewer.status).toBe(403);
      const bad = await harness.declare({
        ...signedDeclaration(randomBytes(10), '3.0.0', harness.ecdsa),
        models: [],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('models: name at least one model');
    });
  });

  describe('refusals', () => {
    const historyOf = async (artifactId: string) =>
      (await harness.json<HistoryBody>(`/artifacts/${artifactId}/history`)).body.items;

    it.each([
      [
        'unsigned',
        () => {
          const {
            signature: _s,
            keyId: _k,
            ...unsigned
          } = signedDeclaration(randomBytes(100), '5.0.0', harness.ecdsa);
          return unsigned;
        },
      ],
      [
        'unknown-key',
        () => signedDeclaration(randomBytes(100), '5.0.0', generateTestKey('mallory', 'ecdsa-p256')),
      ],
      [
        'algorithm-mismatch',
        () => ({ ...signedDeclaration(randomBytes(100), '5.0.0', harness.ecdsa), algorithm: 'ed25519' }),
      ],
      [
        'bad-signature',
        // Tampered metadata: signed as 5.0.0, declared as 6.0.0.
        () => ({ ...signedDeclaration(randomBytes(100), '5.0.0', harness.ecdsa), version: '6.0.0' }),
      ],
    ])('refuses a %s declaration (422) and keeps the refusal in its history', async (reason, body) => {
      const refused = await harness.declare(body());
      expect(refused.status).toBe(422);
      expect(refused.body.details).toMatchObject({ reason, stage: 'declaration' });
      const artifactId = refused.body.details!['artifactId'] as string;
      const history = await historyOf(artifactId);
      expect(history).toEqual([
        expect.objectContaining({
          type: 'ArtifactUploadRefused',
          actor: { type: 'operator', id: 'oscar' },
          data: expect.objectContaining({ reason, stage: 'declaration', detail: expect.any(String) }),
        }),
      ]);
      const shown = await harness.json<ArtifactBody>(`/artifacts/${artifactId}`);
      expect(shown.body).toMatchObject({ status: 'refused', refusal: { reason } });
    });

    it('refuses an image whose SHA-256 differs from the declared one (422), keeping nothing', async () => {
      const declaredImage = randomBytes(MiB);
      const tampered = Buffer.from(declaredImage);
      tampered[123_456]! ^= 0x01;
      const declared = await harness.declare(signedDeclaration(declaredImage, '7.0.0', harness.ecdsa));
      expect(declared.status).toBe(201);
      const { artifactId } = declared.body;
      const refused = await harness.uploadImage(artifactId, tampered);
      expect(refused.status).toBe(422);
      expect(refused.body.details).toMatchObject({ reason: 'hash-mismatch', stage: 'image', artifactId });
      expect(refused.body.message).toContain(sha256Of(tampered));
      expect(await readdir(`${harness.artifactDir}/packages`)).not.toContain(`${artifactId}.fwp`);
      const history = await historyOf(artifactId);
      expect(history.map((e) => e.type)).toEqual(['ArtifactDeclared', 'ArtifactUploadRefused']);
      expect(history[1]!.data).toMatchObject({
        reason: 'hash-mismatch',
        received: { sha256: sha256Of(tampered), size: MiB },
      });
      // A refused artifact takes no second image: declare again.
      const retry = await harness.uploadImage(artifactId, declaredImage);
      expect(retry.status).toBe(409);
    });

    it('refuses an image of another size than declared (422)', async () => {
      const declaredImage = randomBytes(MiB);
      const declared = await harness.declare(signedDeclaration(declaredImage, '7.1.0', harness.ecdsa));
      const refused = await harness.uploadImage(
        declared.body.artifactId,
        Buffer.concat([declaredImage, declaredImage]),
      );
      expect(refused.status).toBe(422);
      expect(refused.body.details).toMatchObject({ reason: 'size-mismatch' });
    });

    it('refuses an image sent as anything but application/octet-stream (415)', async () => {
      const declaredImage = randomBytes(100);
      const declared = await harness.declare(signedDeclaration(declaredImage, '7.2.0', harness.ecdsa));
      const refused = await harness.uploadImage(declared.body.artifactId, declaredImage, {
        'content-type': 'text/plain',
      });
      expect(refused.status).toBe(415);
    });
  });

  describe('device download', () => {
    it('serves the whole signed package, which verifies as a device verifies it', async () => {
      const response = await get(link.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('accept-ranges')).toBe('bytes');
      expect(response.headers.get('etag')).toBe(`"${sha256Of(image)}"`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBe(published.packageSize);
      const check = verifyFirmwarePackage(bytes, harness.trustedKeys);
      expect(check.ok).toBe(true);
      expect(check.ok && check.image.equals(image)).toBe(true);
      expect(check.ok && check.header).toMatchObject({ version: '1.4.3', keyId: 'e2e-ecdsa', size: 2 * MiB });
    });

    it('serves ranges (206) that reassemble into the package, and 416 past its end', async () => {
      const size = published.packageSize!;
      const first = await get(link.url, { range: 'bytes=0-255' });
      expect(first.status).toBe(206);
      expect(first.headers.get('content-range')).toBe(`bytes 0-255/${size}`);
      // A device reads the header first: enough to know what it is about to download.
      const head = Buffer.from(await first.arrayBuffer());
      expect(decodePackageHeader(head)?.header.sha256).toBe(sha256Of(image));

      // A sleepy device resuming in 512 KiB pieces, the last one as a suffix range.
      const parts = [head];
      for (let start = 256; start < size - 1000; start += 512 * 1024) {
        const end = Math.min(start + 512 * 1024, size - 1000) - 1;
        const part = await get(link.url, { range: `bytes=${start}-${end}` });
        expect(part.status).toBe(206);
        parts.push(Buffer.from(await part.arrayBuffer()));
      }
      const tail = await get(link.url, { range: 'bytes=-1000' });
      expect(tail.headers.get('content-range')).toBe(`bytes ${size - 1000}-${size - 1}/${size}`);
      parts.push(Buffer.from(await tail.arrayBuffer()));
      const whole = Buffer.concat(parts);
      expect(whole.length).toBe(size);
      expect(verifyFirmwarePackage(whole, harness.trustedKeys).ok).toBe(true);

      const open = await get(link.url, { range: `bytes=${size - 10}-` });
      expect(open.status).toBe(206);
      expect((await open.arrayBuffer()).byteLength).toBe(10);

      const beyond = await get(link.url, { range: `bytes=${size}-` });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);

      const stale = await get(link.url, { range: 'bytes=0-9', 'if-range': '"something-else"' });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(size);
    });

    it('answers HEAD with the headers alone', async () => {
      const response = await get(link.url, {}, 'HEAD');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(published.packageSize));
      expect(response.headers.get('etag')).toBe(`"${sha256Of(image)}"`);
    });

    it('refuses missing, expired, foreign and operator tokens (401), and tokens for another artifact (403)', async () => {
      const base = link.url.split('?')[0]!;
      const secret = new TextEncoder().encode(harness.downloadSecret);
      // Tokens minted with the service's own scheme and secret (or another secret), as an attacker might try.
      const mint = async (claims: { art: string; exp: number }, key = secret) => {
        const ttl = claims.exp - Math.floor(Date.now() / 1000);
        const issuedAt = ttl < 0 ? new Date(Date.now() + (ttl - 1) * 1000) : new Date();
        return (await new DownloadTokens(key, Math.max(ttl, 1)).issue(claims.art, 'meter-42', issuedAt))
          .token;
      };
      const now = Math.floor(Date.now() / 1000);
      const expired = await mint({ art: published.artifactId, exp: now - 60 });
      const foreign = await mint(
        { art: published.artifactId, exp: now + 600 },
        new TextEncoder().encode(randomBytes(32).toString('hex')),
      );
      const otherArtifact = await mint({ art: randomUUID(), exp: now + 600 });
      const cases: [string, number, string][] = [
        [base, 401, 'missing download token'],
        [`${base}?token=${expired}`, 401, 'download token expired'],
        [`${base}?token=${foreign}`, 401, 'download token signature is invalid'],
        [`${base}?token=${harness.tokens.operator}`, 401, 'download token is malformed'],
        [`${base}?token=${otherArtifact}`, 403, 'this download token is for another artifact'],
      ];
      for (const [url, status, message] of cases) {
        const response = await get(url);
        const body = (await response.json()) as { message: string };
        expect({ status: response.status, message: body.message }).toEqual({
          status,
          message: expect.stringContaining(message),
        });
      }
      // Refusals are logged (warn) with their URL; the token is taken out of it first.
      const logged = harness.service.output.join('');
      expect(logged).toContain('token=redacted');
      for (const token of [expired, foreign, otherArtifact]) expect(logged).not.toContain(token);
      const stillValid = await mint({ art: published.artifactId, exp: now + 600 });
      expect((await get(`${base}?token=${stillValid}`, { range: 'bytes=0-0' })).status).toBe(206);
    });

    it('counts downloads and bytes in /metrics', async () => {
      const metrics = await (await fetch(`${harness.service.url}/metrics`)).text();
      const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
      expect(value(/fuota_firmware_downloads_total\{result="partial"[^}]*\} (\d+)/)).toBeGreaterThan(0);
      expect(value(/fuota_firmware_downloads_total\{result="refused"[^}]*\} (\d+)/)).toBeGreaterThan(0);
      expect(value(/fuota_firmware_download_bytes_total\{[^}]*\} (\d+)/)).toBeGreaterThanOrEqual(
        published.packageSize!,
      );
      expect(value(/fuota_artifact_uploads_total\{outcome="hash-mismatch"[^}]*\} (\d+)/)).toBeGreaterThan(0);
    });
  });

  describe('fleetctl firmware', () => {
    it('signs with the development key and uploads in two steps; show lists the history', async () => {
      const file = join(harness.dir, 'image.bin');
      const bytes = randomBytes(500_000);
      await writeFile(file, bytes);
      const env = { FLEET_FUOTA_URL: harness.service.url };
      const upload = await fleetctl(
        ['firmware', 'upload', file, '--version', '9.1.0', '--model', 'WM-200,WM-300', '--json'],
        env,
      );
      expect({ code: upload.code, stderr: upload.stderr }).toEqual({ code: 0, stderr: '' });
      const artifact = JSON.parse(upload.stdout) as ArtifactBody;
      expect(artifact).toMatchObject({
        status: 'published',
        version: '9.1.0',
        models: ['WM-200', 'WM-300'],
        keyId: 'fleetwise-dev',
        sha256: sha256Of(bytes),
        createdBy: 'fleetctl',
      });
      const show = await fleetctl(['firmware', 'show', artifact.artifactId], env);
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('ArtifactPublished');
      const again = await fleetctl(
        ['firmware', 'upload', file, '--version', '9.1.0', '--model', 'WM-300'],
        env,
      );
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(
        `version 9.1.0 is already published for WM-300 as artifact ${artifact.artifactId} (409 CONFLICT)`,
      );
    });
  });
});
