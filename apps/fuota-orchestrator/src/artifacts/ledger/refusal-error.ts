import { ValidationError } from '@fleet/core';
import { withHttpStatus } from '@fleet/observability';
import type { ArtifactView } from '../artifact-view';

/**
 * 422 for a refused declaration or image: the request was well-formed but what it carries cannot
 * be trusted. `details.reason` is the stable code (unsigned, unknown-key, algorithm-mismatch,
 * bad-signature, size-mismatch, hash-mismatch); the refusal is in the artifact's history.
 */
export function refusalError(view: ArtifactView): ValidationError {
  const refusal = view.refusal;
  const error = new ValidationError(
    `artifact ${view.artifactId} refused (${refusal?.reason ?? 'unknown'}): ${refusal?.detail ?? ''}`,
    { artifactId: view.artifactId, stage: refusal?.stage, reason: refusal?.reason },
  );
  return withHttpStatus(error, 422);
}
