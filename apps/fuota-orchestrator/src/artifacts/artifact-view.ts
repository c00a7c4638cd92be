import type { SignatureAlgorithm } from '@fleet/firmware';
import {
  evolveArtifact,
  initialArtifactState,
  type ArtifactEvent,
  type ArtifactState,
  type ArtifactStatus,
  type Refusal,
} from './artifact';

/** An artifact as the API, the read model and other features (campaigns, multicast) see it. */
export interface ArtifactView {
  readonly artifactId: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly hardwareRevisions: readonly string[];
  /** SHA-256 of the image (not of the package), lowercase hex. */
  readonly sha256: string;
  /** Size of the image in bytes. */
  readonly size: number;
  /** Null only for a declaration refused as unsigned without a key id. */
  readonly keyId: string | null;
  readonly algorithm: SignatureAlgorithm;
  readonly status: ArtifactStatus;
  readonly releaseNotes: string | null;
  /** When it was declared (ISO-8601). */
  readonly createdAt: string;
  /** Who declared it (token subject). */
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly publishedAt: string | null;
  /** Base64 signature over sha256, size and version. */
  readonly signature: string | null;
  /** Bytes of the signed package devices download (header + image), once published. */
  readonly packageSize: number | null;
  readonly refusal: Refusal | null;
  /** Events in the artifact's stream; the read model keeps the highest. */
  readonly streamVersion: number;
}

/** The parts of a recorded event the view needs (a RecordedEvent fits). */
export interface ArtifactFact {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: { readonly occurredAt: string; readonly actor: { readonly id: string } };
}

/** Folds an artifact's stream into its view; undefined for an empty stream. */
export function artifactViewOf(facts: readonly ArtifactFact[]): ArtifactView | undefined {
  let state: ArtifactState = initialArtifactState;
  let createdAt = '';
  let createdBy = '';
  let publishedAt: string | null = null;
  for (const fact of facts) {
    const event = fact as unknown as ArtifactEvent;
    if (state.status === 'none') {
      createdAt = fact.metadata.occurredAt;
      createdBy = fact.metadata.actor.id;
    }
    state = evolveArtifact(state, event);
    if (event.type === 'ArtifactPublished') publishedAt = fact.metadata.occurredAt;
  }
  const last = facts.at(-1);
  if (state.status === 'none' || !last) return undefined;
  const { declaration } = state;
  return {
    artifactId: state.artifactId,
    version: declaration.version,
    models: declaration.models,
    hardwareRevisions: declaration.hardwareRevisions,
    sha256: declaration.sha256,
    size: declaration.size,
    keyId: declaration.keyId,
    algorithm: declaration.algorithm,
    status: state.status,
    releaseNotes: declaration.releaseNotes,
    createdAt,
    createdBy,
    updatedAt: last.metadata.occurredAt,
    publishedAt,
    signature: declaration.signature,
    packageSize: state.packageSize,
    refusal: state.refusal,
    streamVersion: state.version,
  };
}

/** The storage key of an artifact's signed package (recorded in ArtifactPublished as well). */
export const storageKeyOf = (artifactId: string): string => `packages/${artifactId}.fwp`;
