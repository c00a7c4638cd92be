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

    it('given a large batch of distinct streams in every mode, then each append is judged on its own', async () => {
      const prefix = uniquePrefix('many-modes');
      const name = (kind: string, i: number) => `${prefix}${kind}-${String(i).padStart(3, '0')}`;
      for (let i = 0; i < 50; i++) await store().append(name('old', i), events(1), 'no_stream');
      const appends = Array.from({ length: 50 }, (_, i) => [
        { stream: name('new', i), events: events(2), expected: 'no_stream' as const },
        { stream: name('old', i), events: events(1), expected: i % 2 === 0 ? 0n : 5n },
        { stream: name('any', i), events: events(1), expected: 'any' as const },
        { stream: name('gone', i), events: events(1), expected: 'stream_exists' as const },
      ]).flat();

      const outcomes = await store().appendMany(appends);

      expect(outcomes.map((o) => o.ok)).toEqual(
        Array.from({ length: 50 }, (_, i) => [true, i % 2 === 0, true, false]).flat(),
      );
      expect(outcomes[0]).toMatchObject({ ok: true, result: { nextExpectedRevision: 1n } });
      expect(outcomes[1]).toMatchObject({ ok: true, result: { nextExpectedRevision: 1n } });
      expect(outcomes[5]).toMatchObject({ ok: false, error: expect.any(ConcurrencyError) });
      expect(outcomes[3]).toMatchObject({ ok: false, error: expect.any(ConcurrencyError) });
      expect((await store().readStream(name('new', 7))).map((e) => e.revision)).toEqual([0n, 1n]);
      expect((await store().readStream(name('old', 8))).map((e) => e.revision)).toEqual([0n, 1n]);
      expect(await store().readStream(name('old', 9))).toHaveLength(1);
      expect(await store().readStream(name('gone', 0))).toEqual([]);
    });

    it('given two batches touching the same streams in opposite orders at once, then both are stored', async () => {
      const prefix = uniquePrefix('many-race');
      const streams = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
      const batch = (order: string[]) =>
        order.map((stream) => ({ stream, events: events(1), expected: 'any' as const }));

      const [first, second] = await Promise.all([
        store().appendMany(batch(streams)),
        store().appendMany(batch([...streams].reverse())),
      ]);

      expect([...first, ...second].every((o) => o.ok)).toBe(true);
      for (const stream of streams) expect(await store().readStream(stream)).toHaveLength(2);
    });

    it('stores nothing of an empty batch', async () => {
      expect(await store().appendMany([])).toEqual([]);
    });
  });
}
