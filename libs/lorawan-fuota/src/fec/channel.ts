import { FragmentDecoder, type DecoderStatus } from './decoder';
import type { EncodedBlock } from './encoder';

/** A seeded PRNG (mulberry32) in [0, 1), so that simulated losses can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LossyReception {
  readonly status: DecoderStatus;
  /** The reconstructed block when `status.done`. */
  readonly block?: Uint8Array;
  /** Fragments the receiver got (the others were lost). */
  readonly delivered: number;
}

/**
 * One receiver of a multicast session: every fragment of `encoded`, in order, is lost with
 * probability `lossRate` (independent losses, as on a radio link without bursts), the rest decoded.
 */
export function receiveWithLoss(
  encoded: EncodedBlock,
  lossRate: number,
  random: () => number,
): LossyReception {
  const decoder = new FragmentDecoder(encoded);
  let delivered = 0;
  encoded.fragments.forEach((fragment, i) => {
    if (random() < lossRate) return;
    delivered += 1;
    decoder.push(i + 1, fragment);
  });
  const status = decoder.status();
  return status.done ? { status, block: decoder.block(), delivered } : { status, delivered };
}
