import { seededRandom, receiveWithLoss } from './channel';
import { FragmentDecoder } from './decoder';
import { encodeBlock } from './encoder';
import { parityRow, parityRowIndices } from './matrix';

const randomBlock = (length: number, random: () => number) =>
  Uint8Array.from({ length }, () => Math.floor(random() * 256));

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const k = Math.floor(random() * (i + 1));
    [items[i], items[k]] = [items[k]!, items[i]!];
  }
  return items;
}

/** Rank of the received fragments' rows, by plain dense elimination: an independent check of `missing`. */
function rankOf(received: number[], m: number): number {
  const rows = received.map((n) =>
    n <= m ? Uint8Array.from({ length: m }, (_, j) => (j === n - 1 ? 1 : 0)) : parityRow(n - m, m),
  );
  let rank = 0;
  for (let column = 0; column < m && rank < rows.length; column += 1) {
    const pivot = rows.findIndex((row, i) => i >= rank && row[column] === 1);
    if (pivot < 0) continue;
    [rows[rank], rows[pivot]] = [rows[pivot]!, rows[rank]!];
    for (let i = 0; i < rows.length; i += 1) {
      if (i !== rank && rows[i]![column] === 1) rows[i] = rows[i]!.map((b, j) => b ^ rows[rank]![j]!);
    }
    rank += 1;
  }
  return rank;
}

describe('TS004 decoder (incremental Gaussian elimination over GF(2))', () => {
  it('given every uncoded fragment, when decoded, then the block comes back without its padding', () => {
    const block = randomBlock(95, seededRandom(1));
    const encoded = encodeBlock(block, 10, 3);
    const decoder = new FragmentDecoder(encoded);

    for (let n = 1; n <= 10; n += 1) decoder.push(n, encoded.fragments[n - 1]!);

    expect(decoder.status()).toMatchObject({ done: true, known: 10, missing: 0, received: 10 });
    expect(decoder.block()).toEqual(block);
    expect(decoder.push(11, encoded.fragments[10]!)).toBe('after-done');
  });

  it('given random losses and orders, when decoded, then it finishes exactly when the received rows have full rank, and says how many are missing otherwise', () => {
    const random = seededRandom(42);
    for (let trial = 0; trial < 150; trial += 1) {
      const fragmentBytes = 1 + Math.floor(random() * 40);
      const block = randomBlock(1 + Math.floor(random() * 1200), random);
      const encoded = encodeBlock(block, fragmentBytes, Math.floor(random() * 12));
      const m = encoded.uncodedFragments;
      const received = shuffle(
        encoded.fragments.map((_, i) => i + 1).filter(() => random() > 0.2),
        random,
      );
      const decoder = new FragmentDecoder(encoded);

      for (const n of received) decoder.push(n, encoded.fragments[n - 1]!);

      const rank = rankOf(received, m);
      expect(decoder.status()).toMatchObject({ done: rank === m, missing: m - rank });
      if (rank === m) expect(decoder.block()).toEqual(block);
    }
  });

  it('given the same fragment twice, when decoded, then the second is a duplicate', () => {
    const encoded = encodeBlock(randomBlock(40, seededRandom(3)), 10, 2);
    const decoder = new FragmentDecoder(encoded);

    expect(decoder.push(5, encoded.fragments[4]!)).toBe('stored');
    expect(decoder.push(5, encoded.fragments[4]!)).toBe('duplicate');
    expect(decoder.push(2, encoded.fragments[1]!)).toBe('stored');
    expect(decoder.push(2, encoded.fragments[1]!)).toBe('duplicate');
    expect(decoder.status().received).toBe(2);
  });

  it('given a coded fragment over known fragments but one, when decoded, then it recovers that one', () => {
    const encoded = encodeBlock(randomBlock(100, seededRandom(4)), 10, 1);
    const [lost, ...covered] = parityRowIndices(1, 10);
    const decoder = new FragmentDecoder(encoded);
    for (let j = 0; j < 10; j += 1) if (j !== lost) decoder.push(j + 1, encoded.fragments[j]!);

    expect(covered.length).toBeGreaterThan(0);
    expect(decoder.push(11, encoded.fragments[10]!)).toBe('recovered');
    expect(decoder.status().done).toBe(true);
  });

  it('given a coded fragment over known fragments only, when decoded, then it is redundant', () => {
    const encoded = encodeBlock(randomBlock(100, seededRandom(4)), 10, 1);
    const decoder = new FragmentDecoder(encoded);
    for (const j of parityRowIndices(1, 10)) decoder.push(j + 1, encoded.fragments[j]!);

    expect(decoder.push(11, encoded.fragments[10]!)).toBe('redundant');
    expect(decoder.status().done).toBe(false);
  });

  it('given a bounded matrix, when more coded fragments are pending than it holds, then they are dropped and the status says so', () => {
    const encoded = encodeBlock(randomBlock(1000, seededRandom(5)), 10, 40);
    const decoder = new FragmentDecoder(encoded, { maxPendingEquations: 3 });

    const outcomes = encoded.fragments.slice(100, 110).map((fragment, i) => decoder.push(101 + i, fragment));

    expect(outcomes).toContain('dropped');
    expect(decoder.status()).toMatchObject({ pendingEquations: 3, notEnoughMemory: true, done: false });
  });

  it('given an incomplete block, when asked for it, then it refuses with the missing count', () => {
    const decoder = new FragmentDecoder({ uncodedFragments: 4, fragmentBytes: 8 });
    decoder.push(1, new Uint8Array(8));

    expect(() => decoder.block()).toThrow('3 more fragments needed');
  });

  it.each([
    [0, 8, 'fragment number 0'],
    [16384, 8, 'fragment number 16384'],
    [1, 7, 'has 7 bytes, the session'],
  ])('given fragment %d of %d bytes, when pushed, then it is refused', (n, bytes, reason) => {
    const decoder = new FragmentDecoder({ uncodedFragments: 4, fragmentBytes: 8 });

    expect(() => decoder.push(n, new Uint8Array(bytes))).toThrow(reason);
  });

  it('given a 100 KiB image with 10 % redundancy and 5 % loss, when received, then it is recovered', () => {
    const block = randomBlock(100 * 1024, seededRandom(6));
    const encoded = encodeBlock(block, 50, 205);

    const reception = receiveWithLoss(encoded, 0.05, seededRandom(7));

    expect(reception.status.done).toBe(true);
    expect(reception.block).toEqual(block);
  });
});
