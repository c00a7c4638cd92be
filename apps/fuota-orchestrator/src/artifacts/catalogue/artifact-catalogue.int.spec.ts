import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IllegalStateError, NotFoundError } from '@fleet/core';
import { PostgresEventStore } from '@fleet/event-store';
import { encodePackageHeader } from '@fleet/firmware';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { Pool } from 'pg';
import type { ArtifactDeclaration } from '../artifact';
import { storageKeyOf } from '../artifact-view';
import { DownloadTokens } from '../download/download-tokens';
import { ArtifactLedger, NO_ARTIFACT } from '../ledger/artifact-ledger';
import { ArtifactProjection } from '../read-model/artifact-projection';
import { ArtifactTable } from '../read-model/artifact-table';
import type { ArtifactSettings } from '../settings/artifact-settings';
import { FilesystemArtifactStorage } from '../storage/filesystem-artifact-storage';
import { ArtifactCatalogue } from './artifact-catalogue';

const metadata = () => ({
  commandId: randomUUID(),
  actor: { type: 'operator' as const, id: 'oscar' },
  reason: 'release',
  occurredAt: new Date().toISOString(),
  correlationId: randomUUID(),
  causationId: null,
  tenant: 'default',
});

async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}

// The catalogue other features call, over the real read model, event store and storage; and the
// projection that rebuilds the read model from the artifact streams.
describe('ArtifactCatalogue', () => {
  const schema = uniqueName('fuota_catalogue');
  let pool: Pool;
  let store: PostgresEventStore;
  let dir: string;
  let table: ArtifactTable;
  let ledger: ArtifactLedger;
  let catalogue: ArtifactCatalogue;
  const secret = randomBytes(32);
  const image = randomBytes(50_000);
  const declaration: ArtifactDeclaration = {
    version: '1.2.3',
    models: ['WM-200'],
    hardwareRevisions: ['B'],
    releaseNotes: null,
    sha256: createHash('sha256').update(image).digest('hex'),
    size: image.length,
    signature: randomBytes(64).toString('base64'),
    keyId: 'acme',
    algorithm: 'ecdsa-p256',
  };

  beforeAll(async () => {
    const admin = new Pool({ connectionString: testInfrastructure.pgUrl, max: 1 });
    await admin.query(`create schema ${schema}`);
    await admin.end();
    pool = new Pool({
      connectionString: testInfrastructure.pgUrl,
      max: 8,
      options: `-c search_path=${schema}`,
    });
    store = await PostgresEventStore.create({ pool, schema: `${schema}_es`, pollIntervalMs: 50 });
    dir = await mkdtemp(join(tmpdir(), 'fuota-catalogue-'));
    table = new ArtifactTable(pool);
    await table.ensureSchema();
    ledger = new ArtifactLedger(store, table);
    const settings = { publicBaseUrl: 'https://fw.example.com' } as ArtifactSettings;
    catalogue = new ArtifactCatalogue(
      table,
      new DownloadTokens(secret, 3600),
      new FilesystemArtifactStorage(dir),
      settings,
    );
  });

  afterAll(async () => {
    await store.close();
    await pool.query(`drop schema if exists ${schema} cascade; drop schema if exists ${schema}_es cascade`);
    await pool.end();
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(): Promise<{ artifactId: string; pack: Buffer }> {
    const artifactId = randomUUID();
    const declared = await ledger.decide(
      { type: 'DeclareArtifact', artifactId, declaration, check: { ok: true }, conflict: null },
      metadata(),
      NO_ARTIFACT,
    );
    expect(declared.view?.status).toBe('awaiting-image');
    expect(await catalogue.get(artifactId)).toMatchObject({ status: 'awaiting-image' });
    await expect(catalogue.readPackage(artifactId)).rejects.toThrow(IllegalStateError);
    const header = encodePackageHeader({
      ...declaration,
      keyId: 'acme',
      signature: Buffer.from(declaration.signature!, 'base64'),
    });
    const pack = Buffer.concat([header, image]);
    await new FilesystemArtifactStorage(dir).write(storageKeyOf(artifactId), once(pack));
    const command = {
      type: 'RecordImage' as const,
      artifactId,
      received: { sha256: declaration.sha256, size: declaration.size },
      storageKey: storageKeyOf(artifactId),
      packageSize: pack.length,
      conflict: null,
    };
    await ledger.decide(command, metadata(), await ledger.load(artifactId));
    return { artifactId, pack };
  }

  it('reads a published package whole, and links it for one device with a token', async () => {
    const { artifactId, pack } = await publish();
    expect((await catalogue.readPackage(artifactId)).equals(pack)).toBe(true);
    expect(await catalogue.get(artifactId)).toMatchObject({
      artifactId,
      version: '1.2.3',
      hardwareRevisions: ['B'],
      status: 'published',
      packageSize: pack.length,
      createdBy: 'oscar',
    });
    const now = new Date('2026-03-01T00:00:00Z');
    const uri = await catalogue.packageUriFor(artifactId, 'meter-7', now);
    const match = new RegExp(`^https://fw\\.example\\.com/firmware/${artifactId}/package\\?token=(.+)$`).exec(
      uri,
    );
    expect(match).not.toBeNull();
    await expect(new DownloadTokens(secret, 3600).verify(match![1], artifactId, now)).resolves.toBe(
      'meter-7',
    );
  });

  it('knows nothing of unknown or malformed ids', async () => {
    expect(await catalogue.get('not-a-uuid')).toBeUndefined();
    expect(await catalogue.get(randomUUID())).toBeUndefined();
    await expect(catalogue.packageUriFor(randomUUID(), 'meter-7')).rejects.toThrow(NotFoundError);
  });

  it('rebuilds the read model from the artifact streams', async () => {
    const { artifactId } = await publish();
    await pool.query('truncate fuota_artifacts');
    expect(await catalogue.get(artifactId)).toBeUndefined();
    const projection = new ArtifactProjection(store, table);
    await projection.onApplicationBootstrap();
    try {
      const deadline = Date.now() + 10_000;
      while (!(await catalogue.get(artifactId)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await catalogue.get(artifactId)).toMatchObject({ status: 'published', streamVersion: 2 });
      expect(await table.list({ model: 'WM-200', limit: 10 })).toHaveLength(2);
    } finally {
      await projection.onModuleDestroy();
    }
  });
});
