import { receiveWithLoss, seededRandom } from '../fec/channel';
import { encodeBlock } from '../fec/encoder';
import { decodeSuccessProbability, recommendRedundancy } from './redundancy';

describe('decode odds and redundancy advice', () => {
  it('given no loss, when estimated, then every device decodes without redundancy', () => {
    expect(decodeSuccessProbability({ uncodedFragments: 100, codedFragments: 0, lossRate: 0 })).toBe(1);
  });

  it('given loss and no redundancy, when estimated, then success is the chance of losing nothing', () => {
    expect(
      decodeSuccessProbability({ uncodedFragments: 100, codedFragments: 0, lossRate: 0.01 }),
    ).toBeCloseTo(0.99 ** 100, 10);
  });

  it('given one lost fragment and C coded ones, when estimated, then it is the chance one of them covers it', () => {
    // M = 2: every coded row covers each fragment with probability 1/2 (one draw of two).
    const p = 0.3;
    const expected = (1 - p) ** 2 + 2 * p * (1 - p) * ((1 - p) * 0.5);
    expect(decodeSuccessProbability({ uncodedFragments: 2, codedFragments: 1, lossRate: p })).toBeCloseTo(
      expected,
      10,
    );
  });

  it('given more redundancy, when estimated, then success never drops', () => {
    const odds = [0, 50, 100, 150, 200, 300].map((codedFragments) =>
      decodeSuccessProbability({ uncodedFragments: 1000, codedFragments, lossRate: 0.05 }),
    );

    expect([...odds].sort((a, b) => a - b)).toEqual(odds);
  });

  it('given 5 % loss and a 99 % target, when advised, then the redundancy is the least that reaches it and Monte Carlo agrees', () => {
    const advice = recommendRedundancy({ uncodedFragments: 300, lossRate: 0.05, targetSuccess: 0.99 })!;

    expect(advice.successProbability).toBeGreaterThanOrEqual(0.99);
    expect(
      decodeSuccessProbability({
        uncodedFragments: 300,
        codedFragments: advice.codedFragments - 1,
        lossRate: 0.05,
      }),
    ).toBeLessThan(0.99);
    const random = seededRandom(11);
    const block = Uint8Array.from({ length: 300 * 8 }, () => Math.floor(random() * 256));
    const encoded = encodeBlock(block, 8, advice.codedFragments);
    let decoded = 0;
    for (let trial = 0; trial < 200; trial += 1)
      if (receiveWithLoss(encoded, 0.05, random).status.done) decoded += 1;
    expect(decoded / 200).toBeGreaterThanOrEqual(0.97);
  });

  it('given a target no session can reach, when advised, then there is no advice', () => {
    expect(
      recommendRedundancy({ uncodedFragments: 16000, lossRate: 0.5, targetSuccess: 0.99 }),
    ).toBeUndefined();
  });
});
