import { ValidationError } from '@fleet/core';
import { parityRow } from './matrix';
import { slotBytes, wordsFor, writeSlot } from './words';

/** DataFragment's 14-bit N numbers every fragment of a session, uncoded and coded, from 1. */
export const MAX_FRAGMENTS_PER_SESSION = 0x3fff;
/** FragSessionSetupReq's FragSize is one byte. */
export const MAX_FRAGMENT_BYTES = 255;

/** How a block is cut: what FragSessionSetupReq announces (NbFrag, FragSize, Padding). */
export interface FragmentLayout {
  /** Uncoded fragments (NbFrag). */
  readonly uncodedFragments: number;
  readonly fragmentBytes: number;
  /** Zero bytes appended to the block to fill its last fragment (Padding). */
  readonly padding: number;
  readonly blockBytes: number;
}

export interface EncodedBlock extends FragmentLayout {
  /** Uncoded fragments 1..M, then coded fragments M+1..M+R: index i is DataFragment N = i + 1. */
  readonly fragments: readonly Uint8Array[];
  readonly codedFragments: number;
}

/** Cuts `blockBytes` into fragments of `fragmentBytes`, checking the session's field limits. */
export function fragmentLayout(
  blockBytes: number,
  fragmentBytes: number,
  codedFragments = 0,
): FragmentLayout {
  if (!Number.isInteger(blockBytes) || blockBytes < 1)
    throw new ValidationError(`block of ${blockBytes} bytes: a block holds at least 1 byte`);
  if (!Number.isInteger(fragmentBytes) || fragmentBytes < 1 || fragmentBytes > MAX_FRAGMENT_BYTES)
    throw new ValidationError(
      `fragment size ${fragmentBytes} is not 1-${MAX_FRAGMENT_BYTES} bytes (FragSize is one byte)`,
    );
  if (!Number.isInteger(codedFragments) || codedFragments < 0)
    throw new ValidationError(`redundancy ${codedFragments} is not a whole number of coded fragments`);
  const uncodedFragments = Math.ceil(blockBytes / fragmentBytes);
  const total = uncodedFragments + codedFragments;
  if (total > MAX_FRAGMENTS_PER_SESSION)
    throw new ValidationError(
      `${uncodedFragments} uncoded + ${codedFragments} coded = ${total} fragments exceed the ${MAX_FRAGMENTS_PER_SESSION} ` +
        `a session can number (DataFragment N is 14 bits); use larger fragments or split the image`,
    );
  return {
    uncodedFragments,
    fragmentBytes,
    padding: uncodedFragments * fragmentBytes - blockBytes,
    blockBytes,
  };
}

/**
 * TS004 encoder with FragmentationMatrix 0: the block cut into M uncoded fragments (the last one
 * zero-padded), followed by `codedFragments` parity fragments, coded fragment n being the XOR of
 * the uncoded fragments its PRBS23 matrix row selects.
 */
export function encodeBlock(block: Uint8Array, fragmentBytes: number, codedFragments: number): EncodedBlock {
  const layout = fragmentLayout(block.length, fragmentBytes, codedFragments);
  const { uncodedFragments: m } = layout;
  const words = wordsFor(fragmentBytes);
  // One word-aligned slot per fragment; the padding of the last uncoded one stays zero.
  const store = new Uint32Array((m + codedFragments) * words);
  for (let j = 0; j < m; j += 1)
    writeSlot(store, j, words, block.subarray(j * fragmentBytes, (j + 1) * fragmentBytes));
  for (let n = 1; n <= codedFragments; n += 1) {
    const target = (m + n - 1) * words;
    const row = parityRow(n, m);
    // Inlined rather than calling xorWords: with 50-byte fragments the call costs as much as the XOR.
    for (let j = 0; j < m; j += 1) {
      if (row[j] === 0) continue;
      const source = j * words;
      for (let w = 0; w < words; w += 1) store[target + w]! ^= store[source + w]!;
    }
  }
  const fragments: Uint8Array[] = [];
  for (let i = 0; i < m + codedFragments; i += 1) fragments.push(slotBytes(store, i, words, fragmentBytes));
  return { ...layout, fragments, codedFragments };
}

/** Coded fragments for a redundancy ratio (0.1 = 10 % more fragments than the uncoded ones), rounded up. */
export function codedFragmentsFor(uncodedFragments: number, redundancyRatio: number): number {
  if (!(redundancyRatio >= 0) || !Number.isFinite(redundancyRatio))
    throw new ValidationError(`redundancy ratio ${redundancyRatio} is not a non-negative number`);
  // The epsilon keeps 0.1 × 2050 = 205.00000000000003 from rounding up to 206.
  return Math.max(0, Math.ceil(uncodedFragments * redundancyRatio - 1e-9));
}
