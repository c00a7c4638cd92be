import { assertNever, ConflictError, IllegalStateError, NotFoundError } from '@fleet/core';
import {
  evolveArtifact,
  initialArtifactState,
  type ArtifactDeclaration,
  type ArtifactEvent,
  type ArtifactState,
  type KnownArtifact,
  type ReceivedImage,
} from './artifact';
import type { DeclarationCheck } from './declaration-check';

/** A published artifact of the same version for one of the same models, if any. */
export interface VersionConflict {
  readonly artifactId: string;
  readonly models: readonly string[];
}

export type ArtifactCommand =
  | {
      readonly type: 'DeclareArtifact';
      readonly artifactId: string;
      readonly declaration: ArtifactDeclaration;
      /** The signature check, done by the caller against the trusted keys. */
      readonly check: DeclarationCheck;
      readonly conflict: VersionConflict | null;
    }
  | {
      readonly type: 'RecordImage';
      readonly artifactId: string;
      /** What the server measured while the image streamed to storage. */
      readonly received: ReceivedImage;
      /** Where the signed package was stored (meaningful only when the image matches). */
      readonly storageKey: string;
      readonly packageSize: number;
      readonly conflict: VersionConflict | null;
    };

/**
 * Pure: a declaration that fails its signature check, or an image whose size or digest differs
 * from the declaration, is a refusal (an event: support must see attempts to upload unsigned or
 * tampered firmware); a version clash with a published artifact is a conflict (an error).
 */
export function decideArtifact(command: ArtifactCommand, state: ArtifactState): ArtifactEvent[] {
  const { artifactId } = command;
  switch (command.type) {
    case 'DeclareArtifact': {
      if (state.status !== 'none') throw new ConflictError(`artifact ${artifactId} already exists`);
      const { check, declaration } = command;
      if (!check.ok) {
        return [
          {
            type: 'ArtifactUploadRefused',
            data: {
              artifactId,
              stage: 'declaration',
              reason: check.reason,
              detail: check.detail,
              declaration,
              received: null,
            },
          },
        ];
      }
      throwOnConflict(declaration, command.conflict);
      return [{ type: 'ArtifactDeclared', data: { artifactId, ...declaration } }];
    }
    case 'RecordImage': {
      assertAcceptsImage(state, artifactId);
      const { declaration } = state;
      const mismatch = imageMismatch(declaration, command.received);
      if (mismatch) {
        return [
          {
            type: 'ArtifactUploadRefused',
            data: {
              artifactId,
              stage: 'image',
              ...mismatch,
              declaration: null,
              received: command.received,
            },
          },
        ];
      }
      throwOnConflict(declaration, command.conflict);
      return [
        {
          type: 'ArtifactPublished',
          data: { artifactId, storageKey: command.storageKey, packageSize: command.packageSize },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

/**
 * Only an artifact awaiting its image takes one; checked before a byte is read, and again by
 * decide. @throws NotFoundError, IllegalStateError
 */
export function assertAcceptsImage(state: ArtifactState, artifactId: string): asserts state is KnownArtifact {
  if (state.status === 'none')
    throw new NotFoundError(`artifact ${artifactId} does not exist`, { artifactId });
  if (state.status === 'awaiting-image') return;
  const why =
    state.status === 'published'
      ? 'its image is already published'
      : `it was refused (${state.refusal?.reason ?? 'unknown'}); declare it again`;
  throw new IllegalStateError(`artifact ${artifactId} takes no image: ${why}`, {
    artifactId,
    status: state.status,
  });
}

/** Why received bytes are not the declared image, or null when they are. */
export function imageMismatch(
  declared: Pick<ArtifactDeclaration, 'sha256' | 'size'>,
  received: ReceivedImage,
): { reason: 'size-mismatch' | 'hash-mismatch'; detail: string } | null {
  if (received.size !== declared.size) {
    // Without a digest the server stopped reading early: the size is a lower bound then.
    const got = received.sha256 === null ? `at least ${received.size}` : `${received.size}`;
    return {
      reason: 'size-mismatch',
      detail: `received ${got} bytes, the declaration says ${declared.size}: the image is corrupted or not the one signed`,
    };
  }
  if (received.sha256 !== declared.sha256) {
    return {
      reason: 'hash-mismatch',
      detail: `received bytes have SHA-256 ${received.sha256}, the declaration says ${declared.sha256}: the image is corrupted or not the one signed`,
    };
  }
  return null;
}

function throwOnConflict(declaration: ArtifactDeclaration, conflict: VersionConflict | null): void {
  if (!conflict) return;
  const shared = declaration.models.filter((m) => conflict.models.includes(m));
  throw new ConflictError(
    `version ${declaration.version} is already published for ${shared.join(', ')} as artifact ${conflict.artifactId}`,
    { conflictingArtifactId: conflict.artifactId, version: declaration.version, models: shared },
  );
}

export const artifactDecider = {
  decide: decideArtifact,
  evolve: evolveArtifact,
  initialState: initialArtifactState,
};
