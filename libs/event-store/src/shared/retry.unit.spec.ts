import { backoffDelay } from '@fleet/core';
import { describeExpected, Waker } from './retry';

describe('backoffDelay', () => {
  it('doubles from 100 ms and stays within a few seconds', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(50)).toBe(5_000);
  });
});

describe('Waker', () => {
  it('cuts a sleep short, and keeps a wake that came while awake for the next sleep', async () => {
    const waker = new Waker();
    const started = Date.now();
    const sleeping = waker.sleep(10_000);
    waker.wake();
    await sleeping;
    waker.wake();
    await waker.sleep(10_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('describeExpected', () => {
  it('prints revisions as ConcurrencyError reports them', () => {
    expect([12n, 'no_stream', 'any'].map((e) => describeExpected(e as bigint))).toEqual([
      '12',
      'no_stream',
      'any',
    ]);
  });
});
