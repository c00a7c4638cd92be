/**
 * FragmentationMatrix 0 of LoRaWAN TS004 (Fragmented Data Block Transport, annex "the FEC code"):
 * the parity row of coded fragment n is drawn by a 23-bit PRBS seeded with 1 + 1001·n, picking M/2
 * uncoded fragments (with repeats, so a row holds at most M/2 ones) out of the M of the block.
 */

/** One step of the specification's PRBS23 (x ← x/2 + ((x₀ ⊕ x₅) << 22)). */
export function prbs23(x: number): number {
  const b0 = x & 1;
  const b5 = (x >>> 5) & 1;
  return (x >>> 1) + ((b0 ^ b5) << 22);
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}

/**
 * The uncoded fragments (0-based, ascending, no repeats) XORed into coded fragment `n`.
 *
 * @param n the coded fragment's 1-based rank among the coded fragments (DataFragment N − M)
 * @param m the number of uncoded fragments of the block (NbFrag)
 */
export function parityRowIndices(n: number, m: number): number[] {
  const row = parityRow(n, m);
  const indices: number[] = [];
  for (let j = 0; j < m; j += 1) if (row[j] === 1) indices.push(j);
  return indices;
}

/** The annex's `matrix_line(N, M)`: a 0/1 array of length `m`. */
export function parityRow(n: number, m: number): Uint8Array {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`coded fragment rank ${n} is not a whole number ≥ 1`);
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`fragment count ${m} is not a whole number ≥ 1`);
  const row = new Uint8Array(m);
  // A power-of-two M would let `x mod M` see only the low bits of x; the annex divides by M + 1 then.
  const modulus = m + (isPowerOfTwo(m) ? 1 : 0);
  let x = 1 + 1001 * n;
  for (let drawn = 0; drawn < m >>> 1; drawn += 1) {
    let r = m;
    while (r >= m) {
      x = prbs23(x);
      r = x % modulus;
    }
    row[r] = 1;
  }
  return row;
}
