import { numberArray, textArray } from './array-literals';

describe('array literals', () => {
  it('quotes safe ids as they are and leaves others to the driver', () => {
    expect(textArray(['3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34', 'meter-17'])).toBe(
      '{"3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34","meter-17"}',
    );
    const odd = ['a"b', 'c'];
    expect(textArray(odd)).toBe(odd);
    expect(textArray([])).toBe('{}');
  });

  it('writes numbers, null and non-finite values as NULL', () => {
    expect(numberArray([1.5, null, -90, Number.NaN])).toBe('{1.5,NULL,-90,NULL}');
  });
});
