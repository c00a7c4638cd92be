import { assertNever } from '@fleet/core';
import type { SignatureAlgorithm } from '@fleet/firmware';

/**
 * A firmware artifact: an image a manufacturer signed, declared first (metadata and signature,
 * checked at once), then uploaded (bytes checked against the declaration while they stream to
 * storage) and published as the signed package devices download. One stream `artifact-<id>`; a
 * refused declaration or image is recorded there too, so that support sees who tried what.
 */

/** What the manufacturer's build declares; the signature vouches for sha256, size and version. */
export interface ArtifactDeclaration {
  /** Semantic version, canonical form (`1.4.3`): the signature covers this exact text. */
  readonly version: string;
  /** Device models the image is for; at least one. */
  readonly models: readonly string[];
  /** Hardware revisions it is for; empty means every revision of the models. */
  readonly hardwareRevisions: readonly string[];
  readonly releaseNotes: string | null;
  /** SHA-256 of the image, lowercase hex. */
  readonly sha256: string;
  /** Size of the image in bytes. */
  readonly size: number;
  /** Base64 signature; null when the request carried none. */
  readonly signature: string | null;
  /** Id of the manufacturer key (a file `<keyId>.pub.pem` among the trusted keys). */
  readonly keyId: string | null;
  readonly algorithm: SignatureAlgorithm;
}

/** Why a declaration or an image was refused; stable codes clients can rely on. */
export const REFUSAL_REASONS = [
  'unsigned',
  'unknown-key',
  'algorithm-mismatch',
  'bad-signature',
  'size-mismatch',
  'hash-mismatch',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type RefusalStage = 'declaration' | 'image';

/** What the server measured of an uploaded image; sha256 is null when it stopped reading early. */
export interface ReceivedImage {
  readonly sha256: string | null;
  readonly size: number;
}

export interface Refusal {
  readonly stage: RefusalStage;
  readonly reason: RefusalReason;
  readonly detail: string;
}

export type ArtifactEvent =
  | {
      readonly type: 'ArtifactDeclared';
      readonly data: { readonly artifactId: string } & ArtifactDeclaration;
    }
  | {
      readonly type: 'ArtifactUploadRefused';
      readonly data: {
        readonly artifactId: string;
        readonly stage: RefusalStage;
        readonly reason: RefusalReason;
        readonly detail: string;
        /** The declaration as it was sent (stage `declaration` only; the stream has it otherwise). */
        readonly declaration: ArtifactDeclaration | null;
        /** What arrived (stage `image` only). */
        readonly received: ReceivedImage | null;
      };
    }
  | {
      readonly type: 'ArtifactPublished';
      readonly data: {
        readonly artifactId: string;
        /** Where the signed package lives in artifact storage. */
        readonly storageKey: string;
        /** Bytes of the signed package (header + image). */
        readonly packageSize: number;
      };
    };

export const ARTIFACT_STATUSES = ['awaiting-image', 'published', 'refused'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

export interface KnownArtifact {
  readonly status: ArtifactStatus;
  readonly artifactId: string;
  readonly declaration: ArtifactDeclaration;
  readonly storageKey: string | null;
  readonly packageSize: number | null;
  /** The last refusal, if any (a refused artifact stays refused: declare it again). */
  readonly refusal: Refusal | null;
  /** Number of events in the stream. */
  readonly version: number;
}

export type ArtifactState = { readonly status: 'none'; readonly version: 0 } | KnownArtifact;

export const initialArtifactState: ArtifactState = { status: 'none', version: 0 };

export const ARTIFACT_STREAM_PREFIX = 'artifact-';
export const artifactStream = (artifactId: string): string => `${ARTIFACT_STREAM_PREFIX}${artifactId}`;

export function evolveArtifact(state: ArtifactState, event: ArtifactEvent): ArtifactState {
  const version = state.version + 1;
  switch (event.type) {
    case 'ArtifactDeclared': {
      const { artifactId, ...declaration } = event.data;
      return {
        status: 'awaiting-image',
        artifactId,
        declaration,
        storageKey: null,
        packageSize: null,
        refusal: null,
        version,
      };
    }
    case 'ArtifactUploadRefused': {
      const { artifactId, stage, reason, detail, declaration } = event.data;
      const refusal = { stage, reason, detail };
      if (state.status === 'none') {
        if (!declaration) return state;
        return {
          status: 'refused',
          artifactId,
          declaration,
          storageKey: null,
          packageSize: null,
          refusal,
          version,
        };
      }
      return { ...state, status: 'refused', refusal, version };
    }
    case 'ArtifactPublished':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'published',
        storageKey: event.data.storageKey,
        packageSize: event.data.packageSize,
        version,
      };
    default:
      return assertNever(event);
  }
}
