/**
 * Fragments kept in 32-bit words, each in a slot of `wordsPerFragment` words, so that the XORs that
 * make up both the encoder and the decoder run four bytes at a time whatever the fragment size.
 */
export function wordsFor(bytes: number): number {
  return (bytes + 3) >>> 2;
}

/** `target[t..t+count) ^= source[s..s+count)`, in words. */
export function xorWords(
  target: Uint32Array,
  t: number,
  source: Uint32Array,
  s: number,
  count: number,
): void {
  for (let i = 0; i < count; i += 1) target[t + i]! ^= source[s + i]!;
}

/** Copies `bytes` into word slot `slot` of `store` (the tail of the slot stays zero). */
export function writeSlot(store: Uint32Array, slot: number, wordsPerSlot: number, bytes: Uint8Array): void {
  new Uint8Array(store.buffer, store.byteOffset + slot * wordsPerSlot * 4, bytes.length).set(bytes);
}

/** A byte view of the first `bytes` bytes of word slot `slot`. */
export function slotBytes(store: Uint32Array, slot: number, wordsPerSlot: number, bytes: number): Uint8Array {
  return new Uint8Array(store.buffer, store.byteOffset + slot * wordsPerSlot * 4, bytes);
}
