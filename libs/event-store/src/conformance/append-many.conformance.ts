import { ConcurrencyError } from '@fleet/core';
import { type ConformanceTarget, events, uniquePrefix } from './fixtures';

/** appendMany: each append succeeds or is refused on its own; the rest of the batch is stored. */
export function registerAppendManyTests(target: () => ConformanceTarget): void {
  const store = () => target().store;

  describe('appendMany', () => {
    it('stores every append whose stream is as expected and reports the one that is not', async () => {
      const prefix = uniquePrefix('many');
      await store().append(`${prefix}b`, events(2), 'no_stream');
      const outcomes = await store().appendMany([
        { stream: `${prefix}c`, events: events(1), expected: 'no_stream' },
        { stream: `${prefix}b`, events: events(1), expected: 'no_stream' },
        { stream: `${prefix}a`, events: events(3), expected: 'any' },
        { stream: `${prefix}b`, events: events(1), expected: 1n },
      ]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
      expect(outcomes[1]).toMatchObject({ ok: false, error: expect.any(ConcurrencyError) });
      expect(outcomes[2]).toMatchObject({ ok: true, result: { nextExpectedRevision: 2n } });
      expect(outcomes[3]).toMatchObject({ ok: true, result: { nextExpectedRevision: 2n } });
      expect((await store().readStream(`${prefix}a`)).length).toBe(3);
      expect((await store().readStream(`${prefix}b`)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect((await store().readStream(`${prefix}c`)).length).toBe(1);
    });

    it('stores nothing of an empty batch', async () => {
      expect(await store().appendMany([])).toEqual([]);
    });
  });
}
