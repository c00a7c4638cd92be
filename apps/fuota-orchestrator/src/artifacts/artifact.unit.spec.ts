import { ConflictError, IllegalStateError, NotFoundError } from '@fleet/core';
import type { ArtifactDeclaration, ArtifactEvent, ArtifactState } from './artifact';
import { artifactDecider, type ArtifactCommand } from './artifact.decide';
import { artifactViewOf } from './artifact-view';

const declaration: ArtifactDeclaration = {
  version: '1.4.3',
  models: ['WM-200', 'WM-300'],
  hardwareRevisions: [],
  releaseNotes: 'fixes the leak detector',
  sha256: 'a'.repeat(64),
  size: 2048,
  signature: 'c2lnbmF0dXJl',
  keyId: 'acme-2026',
  algorithm: 'ecdsa-p256',
};

const given = (...events: ArtifactEvent[]): ArtifactState =>
  events.reduce(artifactDecider.evolve, artifactDecider.initialState);
const declared: ArtifactEvent = { type: 'ArtifactDeclared', data: { artifactId: 'a1', ...declaration } };
const declare = (overrides: Partial<Extract<ArtifactCommand, { type: 'DeclareArtifact' }>> = {}) =>
  ({
    type: 'DeclareArtifact',
    artifactId: 'a1',
    declaration,
    check: { ok: true },
    conflict: null,
    ...overrides,
  }) as const;
const recordImage = (received: { sha256: string | null; size: number }, conflict = null) =>
  ({
    type: 'RecordImage',
    artifactId: 'a1',
    received,
    storageKey: 'packages/a1.fwp',
    packageSize: 2150,
    conflict,
  }) as const;

describe('artifact aggregate', () => {
  it('given nothing, when a declaration passes its check, then the artifact awaits its image', () => {
    const events = artifactDecider.decide(declare(), given());
    expect(events).toEqual([declared]);
    expect(given(...events)).toMatchObject({ status: 'awaiting-image', version: 1, declaration });
  });

  it('given nothing, when a declaration fails its check, then the refusal is recorded with what was sent', () => {
    const check = { ok: false, reason: 'unsigned', detail: 'no signature' } as const;
    const events = artifactDecider.decide(
      declare({ check, declaration: { ...declaration, signature: null } }),
      given(),
    );
    expect(events).toEqual([
      {
        type: 'ArtifactUploadRefused',
        data: {
          artifactId: 'a1',
          stage: 'declaration',
          reason: 'unsigned',
          detail: 'no signature',
          declaration: { ...declaration, signature: null },
          received: null,
        },
      },
    ]);
    expect(given(...events)).toMatchObject({
      status: 'refused',
      refusal: { stage: 'declaration', reason: 'unsigned' },
    });
  });

  it('given a published artifact of the version for a shared model, when declared, then it conflicts', () => {
    const conflict = { artifactId: 'a0', models: ['WM-300', 'WM-900'] };
    expect(() => artifactDecider.decide(declare({ conflict }), given())).toThrow(
      new ConflictError('version 1.4.3 is already published for WM-300 as artifact a0'),
    );
  });

  it('given an artifact awaiting its image, when the declared bytes arrived, then it is published', () => {
    const events = artifactDecider.decide(
      recordImage({ sha256: declaration.sha256, size: declaration.size }),
      given(declared),
    );
    expect(events).toEqual([
      {
        type: 'ArtifactPublished',
        data: { artifactId: 'a1', storageKey: 'packages/a1.fwp', packageSize: 2150 },
      },
    ]);
    expect(given(declared, ...events)).toMatchObject({ status: 'published', packageSize: 2150, version: 2 });
  });

  it.each([
    [{ sha256: 'b'.repeat(64), size: 2048 }, 'hash-mismatch', /SHA-256 b{64}/],
    [{ sha256: 'a'.repeat(64), size: 2047 }, 'size-mismatch', /received 2047 bytes/],
    [{ sha256: null, size: 2049 }, 'size-mismatch', /received at least 2049 bytes/],
  ] as const)(
    'given an artifact awaiting its image, when %j arrived, then it is refused (%s)',
    (received, reason, detail) => {
      const [event] = artifactDecider.decide(recordImage(received), given(declared));
      expect(event).toMatchObject({
        type: 'ArtifactUploadRefused',
        data: { stage: 'image', reason, detail: expect.stringMatching(detail), received },
      });
      expect(given(declared, event!)).toMatchObject({ status: 'refused', refusal: { reason } });
    },
  );

  it('given a published or refused artifact, when an image arrives, then it is an illegal state', () => {
    const published: ArtifactEvent = {
      type: 'ArtifactPublished',
      data: { artifactId: 'a1', storageKey: 'k', packageSize: 1 },
    };
    const image = recordImage({ sha256: declaration.sha256, size: declaration.size });
    expect(() => artifactDecider.decide(image, given(declared, published))).toThrow(
      /takes no image: its image is already published/,
    );
    const refused = artifactDecider.decide(recordImage({ sha256: null, size: 1 }), given(declared));
    expect(() => artifactDecider.decide(image, given(declared, ...refused))).toThrow(IllegalStateError);
    expect(() => artifactDecider.decide(image, given())).toThrow(NotFoundError);
  });

  it('given another artifact published the version meanwhile, when the image arrives, then it conflicts', () => {
    const command = {
      ...recordImage({ sha256: declaration.sha256, size: declaration.size }),
      conflict: { artifactId: 'a0', models: ['WM-200'] },
    };
    expect(() => artifactDecider.decide(command, given(declared))).toThrow(ConflictError);
  });

  it('folds a stream into the view other features read, with who declared it and when', () => {
    const at = (occurredAt: string, id = 'alice') => ({ occurredAt, actor: { type: 'operator', id } });
    const view = artifactViewOf([
      { ...declared, metadata: at('2026-03-01T10:00:00.000Z') },
      {
        type: 'ArtifactPublished',
        data: { artifactId: 'a1', storageKey: 'packages/a1.fwp', packageSize: 2150 },
        metadata: at('2026-03-01T10:00:05.000Z', 'bob'),
      },
    ]);
    expect(view).toEqual({
      artifactId: 'a1',
      version: '1.4.3',
      models: ['WM-200', 'WM-300'],
      hardwareRevisions: [],
      sha256: 'a'.repeat(64),
      size: 2048,
      keyId: 'acme-2026',
      algorithm: 'ecdsa-p256',
      status: 'published',
      releaseNotes: 'fixes the leak detector',
      createdAt: '2026-03-01T10:00:00.000Z',
      createdBy: 'alice',
      updatedAt: '2026-03-01T10:00:05.000Z',
      publishedAt: '2026-03-01T10:00:05.000Z',
      signature: 'c2lnbmF0dXJl',
      packageSize: 2150,
      refusal: null,
      streamVersion: 2,
    });
    expect(artifactViewOf([])).toBeUndefined();
  });
});
