import { codedFragmentsFor, encodeBlock, fragmentLayout } from './encoder';
import { parityRowIndices } from './matrix';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('TS004 encoder (FragmentationMatrix 0)', () => {
  it('given a block that is not a multiple of the fragment size, when cut, then the last fragment is zero-padded and the padding announced', () => {
    const encoded = encodeBlock(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]), 3, 0);

    expect(encoded.fragments.map(hex)).toEqual(['010203', '040506', '070000']);
    expect(encoded).toMatchObject({ uncodedFragments: 3, padding: 2, blockBytes: 7, codedFragments: 0 });
  });

  it('given coded fragments, when encoded, then each is the XOR of the uncoded fragments of its parity row', () => {
    const block = Uint8Array.from({ length: 333 }, (_, i) => (i * 37 + 11) & 0xff);
    const encoded = encodeBlock(block, 13, 7);
    const m = encoded.uncodedFragments;

    for (let n = 1; n <= 7; n += 1) {
      const expected = new Uint8Array(13);
      for (const j of parityRowIndices(n, m)) encoded.fragments[j]!.forEach((b, k) => (expected[k]! ^= b));
      expect(hex(encoded.fragments[m + n - 1]!)).toBe(hex(expected));
    }
  });

  it('given M uncoded fragments, when a parity row is drawn, then it selects at most M/2 distinct fragments', () => {
    for (const m of [2, 3, 16, 17, 100, 2048]) {
      for (const n of [1, 2, 50]) {
        const row = parityRowIndices(n, m);
        expect(row.length).toBeGreaterThan(0);
        expect(row.length).toBeLessThanOrEqual(m >> 1);
        expect(new Set(row).size).toBe(row.length);
        expect(Math.max(...row)).toBeLessThan(m);
      }
    }
  });

  it('given a redundancy ratio, when converted, then the coded fragments round up', () => {
    expect(codedFragmentsFor(2048, 0.1)).toBe(205);
    expect(codedFragmentsFor(2050, 0.1)).toBe(205);
    expect(codedFragmentsFor(10, 0)).toBe(0);
  });

  it.each([
    [0, 10, 0, 'at least 1 byte'],
    [100, 0, 0, 'fragment size 0'],
    [100, 256, 0, 'FragSize is one byte'],
    [100, 10, -1, 'redundancy -1'],
    [16383 * 10, 10, 1, '16384 fragments exceed the 16383'],
  ])(
    'given a %d-byte block, %d-byte fragments and %d coded ones, when laid out, then it is refused',
    (block, size, coded, reason) => {
      expect(() => fragmentLayout(block, size, coded)).toThrow(reason);
    },
  );
});
