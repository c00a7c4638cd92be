import { ValidationError } from '@fleet/core';
import type { EventToAppend, ReadStreamOptions } from '../event-store.port';
import { anEvent, type ConformanceTarget, events, uniquePrefix } from './fixtures';

/** An event of `type` by `actor`, occurred on `day` of January 2025 at midnight UTC. */
function on(day: number, type: string, actor: string): EventToAppend {
  const event = anEvent(type, { day });
  const occurredAt = `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
  return { ...event, metadata: { ...event.metadata, actor: { type: 'operator', id: actor }, occurredAt } };
}

/** One event a day, revision = day - 1. */
const HISTORY: readonly EventToAppend[] = [
  on(1, 'Registered', 'alice'),
  on(2, 'Renamed', 'bob'),
  on(3, 'Suspended', 'alice'),
  on(4, 'Renamed', 'carol'),
  on(5, 'Resumed', 'bob'),
  on(6, 'Renamed', 'alice'),
  on(7, 'Suspended', 'bob'),
  on(8, 'Retired', 'alice'),
];

/**
 * Server-side filters of `readStream`: by type, actor and time (inclusive bounds), all of which must
 * hold; `maxCount` counts matching events and returned events keep their own revisions.
 */
export function registerStreamFilterTests(target: () => ConformanceTarget): void {
  const store = () => target().store;

  describe('readStream with filters', () => {
    let stream: string;
    // The same events re-created per run, so that their ids are unique to this suite run.
    beforeAll(async () => {
      stream = `${uniquePrefix('filtered')}1`;
      await store().append(
        stream,
        HISTORY.map((event) => ({ ...anEvent(event.type), data: event.data, metadata: event.metadata })),
        'no_stream',
      );
    });
    const revisions = async (options: ReadStreamOptions): Promise<bigint[]> =>
      (await store().readStream(stream, options)).map((event) => event.revision);

    it('leaves a read without filters unchanged', async () => {
      const all = await store().readStream(stream);
      expect(all.map((event) => [event.revision, event.type])).toEqual(
        HISTORY.map((event, i) => [BigInt(i), event.type]),
      );
      expect(await revisions({ types: [] })).toEqual(all.map((event) => event.revision));
      expect(await revisions({ fromRevision: 6n, maxCount: 1 })).toEqual([6n]);
    });

    it('filters by type: any of the given ones', async () => {
      expect(await revisions({ types: ['Suspended'] })).toEqual([2n, 6n]);
      expect(await revisions({ types: ['Retired', 'Suspended'] })).toEqual([2n, 6n, 7n]);
      expect(await revisions({ types: ['Nothing'] })).toEqual([]);
      const [suspended] = await store().readStream(stream, { types: ['Suspended'] });
      expect(suspended).toMatchObject({ type: 'Suspended', stream, data: { day: 3 } });
      expect(suspended?.metadata).toEqual(HISTORY[2]!.metadata);
    });

    it('filters by actor id', async () => {
      expect(await revisions({ actorId: 'alice' })).toEqual([0n, 2n, 5n, 7n]);
      expect(await revisions({ actorId: 'carol' })).toEqual([3n]);
      expect(await revisions({ actorId: 'Alice' })).toEqual([]);
    });

    it('filters by time, both bounds inclusive, comparing instants whatever the offset', async () => {
      const day = (d: number): string => `2025-01-0${d}T00:00:00.000Z`;
      expect(await revisions({ occurredFrom: day(3), occurredTo: day(5) })).toEqual([2n, 3n, 4n]);
      expect(await revisions({ occurredFrom: day(6) })).toEqual([5n, 6n, 7n]);
      expect(await revisions({ occurredTo: day(2) })).toEqual([0n, 1n]);
      expect(await revisions({ occurredFrom: '2025-01-03T01:00:00+01:00' })).toEqual([
        2n,
        3n,
        4n,
        5n,
        6n,
        7n,
      ]);
      expect(await revisions({ occurredFrom: '2025-01-03T00:00:00.001Z', occurredTo: day(4) })).toEqual([3n]);
      expect(await revisions({ occurredTo: '2000-01-01T00:00:00Z' })).toEqual([]);
      expect(await revisions({ occurredFrom: day(5), occurredTo: day(3) })).toEqual([]);
    });

    it('combines filters with each other, with fromRevision and with maxCount', async () => {
      expect(await revisions({ types: ['Renamed'], actorId: 'alice' })).toEqual([5n]);
      expect(
        await revisions({ types: ['Renamed', 'Suspended'], occurredFrom: '2025-01-04T00:00:00Z' }),
      ).toEqual([3n, 5n, 6n]);
      expect(await revisions({ actorId: 'bob', occurredTo: '2025-01-06T00:00:00Z' })).toEqual([1n, 4n]);
      expect(await revisions({ actorId: 'alice', fromRevision: 3n })).toEqual([5n, 7n]);
      expect(await revisions({ actorId: 'alice', fromRevision: 7n })).toEqual([7n]);
      expect(await revisions({ actorId: 'alice', fromRevision: 8n })).toEqual([]);
      // maxCount counts matches, not the events read past.
      expect(await revisions({ actorId: 'alice', maxCount: 2 })).toEqual([0n, 2n]);
      expect(await revisions({ actorId: 'alice', fromRevision: 1n, maxCount: 2 })).toEqual([2n, 5n]);
      expect(await revisions({ types: ['Renamed'], fromRevision: 2n, maxCount: 1 })).toEqual([3n]);
    });

    it('pages through the matches by continuing after the last returned revision', async () => {
      const pages: bigint[][] = [];
      let fromRevision = 0n;
      for (;;) {
        const page = await revisions({ actorId: 'alice', fromRevision, maxCount: 3 });
        pages.push(page);
        if (page.length < 3) break;
        fromRevision = page.at(-1)! + 1n;
      }
      expect(pages).toEqual([[0n, 2n, 5n], [7n]]);
    });

    it('reads past many events that do not match to find maxCount that do', async () => {
      const long = `${uniquePrefix('sparse')}1`;
      // 1,200 events with a rare one at revisions 100, 700 and 1,150.
      const batch = events(1_200, 'Common');
      for (const i of [100, 700, 1_150]) batch[i] = { ...batch[i]!, type: 'Rare' };
      await store().append(long, batch, 'no_stream');
      const rare = async (options: ReadStreamOptions): Promise<bigint[]> =>
        (await store().readStream(long, { ...options, types: ['Rare'] })).map((event) => event.revision);
      expect(await rare({})).toEqual([100n, 700n, 1_150n]);
      expect(await rare({ maxCount: 2 })).toEqual([100n, 700n]);
      expect(await rare({ fromRevision: 101n, maxCount: 1 })).toEqual([700n]);
      expect(await rare({ fromRevision: 701n })).toEqual([1_150n]);
    });

    it('returns nothing for a stream that does not exist', async () => {
      const missing = `${uniquePrefix('filtermissing')}1`;
      expect(await store().readStream(missing, { types: ['Registered'], actorId: 'alice' })).toEqual([]);
    });

    it('refuses a time bound that is not an instant', async () => {
      await expect(store().readStream(stream, { occurredFrom: 'yesterday' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(store().readStream(stream, { occurredTo: '2025-13-45' })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });
}
