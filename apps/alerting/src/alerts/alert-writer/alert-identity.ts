import { createHash } from 'node:crypto';

/**
 * The id of a rule's `episode`-th alert on a subject: a UUID (version 8, RFC 9562) made of the
 * SHA-256 of the three. The same evaluation replayed after a crash therefore raises the same
 * alert, whose stream already exists: no duplicate, whatever the timing of the crash.
 */
export function alertIdFor(ruleId: string, subject: string, episode: number): string {
  const hash = createHash('sha256').update(`${ruleId}\u0000${subject}\u0000${episode}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
