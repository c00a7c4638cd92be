import { ConflictError, type CommandMetadata } from '@fleet/core';
import { encodePackageHeader } from '@fleet/firmware';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { KnownArtifact, ReceivedImage } from '../artifact';
import { assertAcceptsImage } from '../artifact.decide';
import { storageKeyOf, type ArtifactView } from '../artifact-view';
import { ArtifactLedger, type LoadedArtifact } from '../ledger/artifact-ledger';
import { refusalError } from '../ledger/refusal-error';
import { ArtifactMetrics } from '../metrics/artifact-metrics';
import { ArtifactTable } from '../read-model/artifact-table';
import { ARTIFACT_STORAGE, type ArtifactStorage } from '../storage/artifact-storage.port';
import { ImageMismatchError, meteredImage } from './image-meter';

export interface ImageUpload {
  /** The raw request body. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Content-Length, when the client sent one. */
  readonly contentLength: number | undefined;
}

/**
 * Step two: the image streams from the request to storage behind its package header, measured
 * on the way. Bytes that differ from the declaration (size or SHA-256) leave nothing stored and
 * are recorded as a refusal (422); matching bytes publish the artifact, unless another artifact
 * published the same version for one of its models meanwhile (409).
 */
@Injectable()
export class UploadImageHandler {
  private readonly logger = new Logger(UploadImageHandler.name);

  constructor(
    private readonly ledger: ArtifactLedger,
    private readonly table: ArtifactTable,
    private readonly metrics: ArtifactMetrics,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
  ) {}

  /** @throws NotFoundError, IllegalStateError (409), ValidationError (422), ConflictError (409) */
  async upload(artifactId: string, upload: ImageUpload, metadata: CommandMetadata): Promise<ArtifactView> {
    const loaded = await this.ledger.load(artifactId);
    assertAcceptsImage(loaded.state, artifactId);
    const artifact = loaded.state;
    const declared = artifact.declaration;
    const key = storageKeyOf(artifactId);
    let received: ReceivedImage;
    let packageSize = 0;
    if (upload.contentLength !== undefined && upload.contentLength !== declared.size) {
      // Refused before reading: the body cannot be the declared image.
      received = { sha256: null, size: upload.contentLength };
    } else {
      try {
        packageSize = (await this.storage.write(key, signedPackage(artifact, upload.body))).size;
        received = { sha256: declared.sha256, size: declared.size };
      } catch (error) {
        if (!(error instanceof ImageMismatchError)) throw error;
        received = error.received;
      }
    }
    return this.record(loaded, artifact, received, key, packageSize, metadata);
  }

  private async record(
    loaded: LoadedArtifact,
    artifact: KnownArtifact,
    received: ReceivedImage,
    storageKey: string,
    packageSize: number,
    metadata: CommandMetadata,
  ): Promise<ArtifactView> {
    const { artifactId, declaration } = artifact;
    const decided = await this.table
      .withVersionLock(declaration.version, async (db) => {
        const conflict = await this.table.publishedConflict(
          declaration.version,
          declaration.models,
          artifactId,
          db,
        );
        const command = {
          type: 'RecordImage' as const,
          artifactId,
          received,
          storageKey,
          packageSize,
          conflict,
        };
        return this.ledger.decide(command, metadata, loaded, db);
      })
      .catch(async (error: unknown) => {
        if (error instanceof ConflictError) await this.storage.delete(storageKey);
        throw error;
      });
    const view = decided.view!;
    if (view.status === 'refused') {
      this.metrics.uploads.inc({ outcome: view.refusal?.reason ?? 'refused' });
      this.logger.warn(
        { artifactId, actor: metadata.actor.id, reason: view.refusal?.reason, received },
        'firmware image refused',
      );
      throw refusalError(view);
    }
    this.metrics.uploads.inc({ outcome: 'published' });
    this.logger.log({ artifactId, version: declaration.version, packageSize }, 'firmware artifact published');
    return view;
  }
}

/** The package devices download: header (who signed, version, signature, digest) then the image. */
async function* signedPackage(
  artifact: KnownArtifact,
  image: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const { declaration } = artifact;
  yield encodePackageHeader({
    algorithm: declaration.algorithm,
    keyId: declaration.keyId ?? '',
    version: declaration.version,
    signature: Buffer.from(declaration.signature ?? '', 'base64'),
    sha256: declaration.sha256,
    size: declaration.size,
  });
  yield* meteredImage(image, declaration);
}
