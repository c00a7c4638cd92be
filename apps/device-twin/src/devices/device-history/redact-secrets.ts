/** Fields that hold secret material in recorded events (hashes and ciphertexts, never plaintext). */
const SECRET_FIELDS = new Set(['secretHash', 'appKeyCiphertext']);

/** A copy of event data fit for people: secret-derived values are replaced by a marker. */
export function redactSecrets(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, redact(key, value)]));
}

function redact(key: string, value: unknown): unknown {
  if (SECRET_FIELDS.has(key)) return value === null ? null : '[redacted]';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return redactSecrets(value as Record<string, unknown>);
  }
  return value;
}
