import { verifyFirmwareSignature, type TrustedKey } from '@fleet/firmware';
import type { ArtifactDeclaration, RefusalReason } from './artifact';

export type DeclarationCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: Extract<
        RefusalReason,
        'unsigned' | 'unknown-key' | 'algorithm-mismatch' | 'bad-signature'
      >;
      readonly detail: string;
    };

/**
 * Whether a declaration is signed by a trusted manufacturer key over exactly its sha256, size
 * and version. Deterministic (no clock, no I/O), so the decision can be replayed and tested.
 */
export function checkDeclaration(
  declaration: ArtifactDeclaration,
  trustedKeys: ReadonlyMap<string, TrustedKey>,
): DeclarationCheck {
  const { signature, keyId, algorithm } = declaration;
  if (signature === null || signature === '') {
    return {
      ok: false,
      reason: 'unsigned',
      detail:
        'the declaration carries no signature: sign the image with a manufacturer key (fleetctl firmware sign)',
    };
  }
  const key = keyId === null ? undefined : trustedKeys.get(keyId);
  if (!key) {
    const trusted = [...trustedKeys.keys()].join(', ') || 'none';
    return {
      ok: false,
      reason: 'unknown-key',
      detail: `key ${keyId ?? '(none)'} is not a trusted manufacturer key (trusted: ${trusted})`,
    };
  }
  if (key.algorithm !== algorithm) {
    return {
      ok: false,
      reason: 'algorithm-mismatch',
      detail: `key ${key.keyId} is an ${key.algorithm} key, the declaration says ${algorithm}`,
    };
  }
  const verified = verifyFirmwareSignature(
    declaration,
    Buffer.from(signature, 'base64'),
    key.publicKey,
    algorithm,
  );
  if (!verified) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: `the signature does not verify with key ${key.keyId} over sha256, size and version: the metadata or the signature was altered`,
    };
  }
  return { ok: true };
}
