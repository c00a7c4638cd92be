import { answerRange, contentRange, rangeStillValid } from './byte-range';

describe('answerRange, for a representation of 1000 bytes', () => {
  it.each([
    ['bytes=0-499', { kind: 'partial', start: 0, end: 499 }],
    ['bytes=500-', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=-200', { kind: 'partial', start: 800, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes = 10-19', { kind: 'partial', start: 10, end: 19 }],
  ])('answers %s with a part', (header, answer) => {
    expect(answerRange(header, 1000)).toEqual(answer);
  });

  it.each(['bytes=1000-', 'bytes=1000-1001', 'bytes=5000-6000', 'bytes=-0'])(
    'answers %s as unsatisfiable (416)',
    (header) => {
      expect(answerRange(header, 1000)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it.each([
    undefined,
    '',
    'items=0-10',
    'bytes=abc',
    'bytes=10-5',
    'bytes=-',
    'bytes=0-1,5-9',
    'bytes=99999999999999999999-',
  ])('ignores %j and sends the whole representation', (header) => {
    expect(answerRange(header, 1000)).toEqual({ kind: 'whole' });
  });
});

describe('If-Range', () => {
  const etag = '"abc"';
  it('keeps the range when absent or equal to the current ETag, drops it otherwise', () => {
    expect(rangeStillValid(undefined, etag)).toBe(true);
    expect(rangeStillValid('"abc"', etag)).toBe(true);
    expect(rangeStillValid('"old"', etag)).toBe(false);
    expect(rangeStillValid('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
  });
});

describe('contentRange', () => {
  it('describes a part, or the size alone for a 416', () => {
    expect(contentRange(1000, { start: 0, end: 499 })).toBe('bytes 0-499/1000');
    expect(contentRange(1000)).toBe('bytes */1000');
  });
});
