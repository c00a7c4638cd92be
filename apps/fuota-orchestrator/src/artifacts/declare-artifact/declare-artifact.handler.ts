import { randomUUID } from 'node:crypto';
import type { CommandMetadata } from '@fleet/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ArtifactDeclaration } from '../artifact';
import type { ArtifactView } from '../artifact-view';
import { checkDeclaration } from '../declaration-check';
import { ArtifactLedger, NO_ARTIFACT } from '../ledger/artifact-ledger';
import { refusalError } from '../ledger/refusal-error';
import { ArtifactMetrics } from '../metrics/artifact-metrics';
import { ArtifactTable } from '../read-model/artifact-table';
import { ARTIFACT_SETTINGS, type ArtifactSettings } from '../settings/artifact-settings';

/**
 * Step one of an upload: the declaration is checked against the trusted keys before any image
 * byte is sent. A declaration that fails is recorded (`ArtifactUploadRefused`) and answered 422;
 * one whose version is already published for one of its models is answered 409.
 */
@Injectable()
export class DeclareArtifactHandler {
  private readonly logger = new Logger(DeclareArtifactHandler.name);

  constructor(
    private readonly ledger: ArtifactLedger,
    private readonly table: ArtifactTable,
    private readonly metrics: ArtifactMetrics,
    @Inject(ARTIFACT_SETTINGS) private readonly settings: ArtifactSettings,
  ) {}

  /** @throws ValidationError (422, refused), ConflictError (409, version already published) */
  async declare(declaration: ArtifactDeclaration, metadata: CommandMetadata): Promise<ArtifactView> {
    const artifactId = randomUUID();
    const check = checkDeclaration(declaration, this.settings.trustedKeys);
    // Fast answer for the common mistake; the authoritative check runs again when publishing.
    const conflict = check.ok
      ? await this.table.publishedConflict(declaration.version, declaration.models, artifactId)
      : null;
    const { view } = await this.ledger.decide(
      { type: 'DeclareArtifact', artifactId, declaration, check, conflict },
      metadata,
      NO_ARTIFACT,
    );
    if (!view) throw new Error(`artifact ${artifactId}: no view after its declaration`);
    if (view.status === 'refused') {
      this.metrics.uploads.inc({ outcome: view.refusal?.reason ?? 'refused' });
      this.logger.warn(
        { artifactId, actor: metadata.actor.id, reason: view.refusal?.reason },
        'firmware declaration refused',
      );
      throw refusalError(view);
    }
    return view;
  }
}
