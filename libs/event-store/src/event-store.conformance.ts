import { ConcurrencyError } from '@fleet/core';
import { registerAppendManyTests } from './conformance/append-many.conformance';
import { registerBatchSubscriptionTests } from './conformance/batch.conformance';
import { registerConcurrencyTest } from './conformance/concurrency.conformance';
import {
  anEvent,
  type ConformanceFactory,
  type ConformanceTarget,
  events,
  readAllEventually,
  uniquePrefix,
} from './conformance/fixtures';
import { registerStreamFilterTests } from './conformance/stream-filter.conformance';
import { registerSubscriptionTests } from './conformance/subscription.conformance';
import { comparePositions, type EventStore, type ExpectedRevision } from './event-store.port';

export type { ConformanceFactory, ConformanceTarget } from './conformance/fixtures';

/**
 * Registers the Jest tests every `EventStore` adapter must pass. `factory` runs once for the suite;
 * tests isolate themselves by stream-name prefix, so the store may be shared with other data.
 */
export function describeEventStoreConformance(name: string, factory: ConformanceFactory): void {
  describe(`EventStore conformance: ${name}`, () => {
    let target: ConformanceTarget | undefined;
    const current = (): ConformanceTarget => {
      if (!target) throw new Error('conformance target not ready');
      return target;
    };
    const store = (): EventStore => current().store;

    beforeAll(async () => {
      target = await factory();
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    describe('append and readStream', () => {
      it('round-trips data, metadata and bigint revisions', async () => {
        const stream = `${uniquePrefix('roundtrip')}1`;
        const written = [
          anEvent('Registered', { serial: 'SN-1', nested: { ok: true, n: [1, 2] } }),
          anEvent('Renamed'),
        ];
        const first = await store().append(stream, written, 'no_stream');
        expect(first.nextExpectedRevision).toBe(1n);
        const second = await store().append(stream, [anEvent('Retired')], first.nextExpectedRevision);
        expect(second.nextExpectedRevision).toBe(2n);

        const read = await store().readStream(stream);
        expect(read.map((event) => event.revision)).toEqual([0n, 1n, 2n]);
        expect(
          read.slice(0, 2).map(({ id, type, data, metadata }) => ({ id, type, data, metadata })),
        ).toEqual(written);
        expect(read.every((event) => event.stream === stream && typeof event.revision === 'bigint')).toBe(
          true,
        );
        expect(read.every((event) => !Number.isNaN(Date.parse(event.recordedAt)))).toBe(true);
        expect(comparePositions(read[0]!.position, read[1]!.position)).toBeLessThan(0);
        expect(comparePositions(read[1]!.position, read[2]!.position)).toBeLessThan(0);
        expect(read[2]!.position).toEqual(second.position);
        expect(read[1]!.position).toEqual(first.position);
      });

      it('returns an empty array for a stream that does not exist', async () => {
        expect(await store().readStream(`${uniquePrefix('missing')}1`)).toEqual([]);
      });

      it('reads from a revision and at most maxCount events', async () => {
        const stream = `${uniquePrefix('slice')}1`;
        await store().append(stream, events(5), 'no_stream');
        const revisions = async (options: { fromRevision?: bigint; maxCount?: number }): Promise<bigint[]> =>
          (await store().readStream(stream, options)).map((event) => event.revision);
        expect(await revisions({ fromRevision: 2n })).toEqual([2n, 3n, 4n]);
        expect(await revisions({ maxCount: 2 })).toEqual([0n, 1n]);
        expect(await revisions({ fromRevision: 1n, maxCount: 3 })).toEqual([1n, 2n, 3n]);
        expect(await revisions({ fromRevision: 9n })).toEqual([]);
      });
    });

    describe('expected revision', () => {
      const rejects = async (stream: string, expected: ExpectedRevision, actual: string): Promise<void> => {
        const error = await store()
          .append(stream, [anEvent('Rejected')], expected)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream, expected: String(expected), actual });
      };

      it('no_stream fails on an existing stream and reports its revision', async () => {
        const stream = `${uniquePrefix('nostream')}1`;
        await store().append(stream, events(2), 'no_stream');
        await rejects(stream, 'no_stream', '1');
        expect(await store().readStream(stream)).toHaveLength(2);
      });

      it('an exact revision must match the last event', async () => {
        const stream = `${uniquePrefix('exact')}1`;
        await rejects(stream, 0n, 'no_stream');
        await store().append(stream, events(2), 'no_stream');
        expect((await store().append(stream, events(1), 1n)).nextExpectedRevision).toBe(2n);
        await rejects(stream, 1n, '2');
        await rejects(stream, 3n, '2');
        expect(await store().readStream(stream)).toHaveLength(3);
      });

      it('stream_exists fails on a missing stream and passes on an existing one', async () => {
        const stream = `${uniquePrefix('exists')}1`;
        await rejects(stream, 'stream_exists', 'no_stream');
        await store().append(stream, events(1), 'no_stream');
        expect((await store().append(stream, events(2), 'stream_exists')).nextExpectedRevision).toBe(2n);
      });

      it('any appends whatever the state of the stream', async () => {
        const stream = `${uniquePrefix('any')}1`;
        expect((await store().append(stream, events(2), 'any')).nextExpectedRevision).toBe(1n);
        expect((await store().append(stream, events(1), 'any')).nextExpectedRevision).toBe(2n);
      });

      it('lets exactly one of two racing appends with the same expected revision win', async () => {
        const stream = `${uniquePrefix('race')}1`;
        await store().append(stream, events(1), 'no_stream');
        const results = await Promise.allSettled([0, 1].map(() => store().append(stream, events(1), 0n)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected?.reason).toBeInstanceOf(ConcurrencyError);
      });
    });

    describe('readAll', () => {
      it('returns events in global order and after a given position', async () => {
        const prefix = uniquePrefix('all');
        const appended = [];
        for (const stream of ['a', 'b', 'a', 'c', 'b']) {
          const event = anEvent('Ordered', { stream });
          await store().append(`${prefix}${stream}`, [event], 'any');
          appended.push(event.id);
        }
        const all = await readAllEventually(store(), { streamPrefixes: [prefix] }, 5);
        expect(all.map((event) => event.id)).toEqual(appended);
        for (let i = 1; i < all.length; i++)
          expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBe(-1);

        const rest = await store().readAll({ streamPrefixes: [prefix], after: all[1]!.position });
        expect(rest.map((event) => event.id)).toEqual(appended.slice(2));
        const unfiltered = await store().readAll({ after: all[1]!.position, maxCount: 3 });
        expect(unfiltered.map((event) => event.id)).toEqual(appended.slice(2, 5));
        expect(await store().readAll({ streamPrefixes: [prefix], maxCount: 2 })).toHaveLength(2);
        expect(await store().readAll({ streamPrefixes: [prefix], after: all[4]!.position })).toEqual([]);
      });

      it('filters by stream prefix, taking prefixes literally', async () => {
        const prefix = uniquePrefix('filter');
        const names = ['dev-1', 'dev-2', 'gw-1', 'x_1', 'xy1', 'other-1'];
        for (const name of names)
          await store().append(`${prefix}${name}`, [anEvent('Filtered')], 'no_stream');
        await readAllEventually(store(), { streamPrefixes: [prefix] }, names.length);
        const streams = async (...prefixes: string[]): Promise<string[]> =>
          (await store().readAll({ streamPrefixes: prefixes.map((p) => `${prefix}${p}`) })).map((event) =>
            event.stream.slice(prefix.length),
          );
        expect(await streams('dev-')).toEqual(['dev-1', 'dev-2']);
        expect(await streams('dev-', 'gw-')).toEqual(['dev-1', 'dev-2', 'gw-1']);
        expect(await streams('x_')).toEqual(['x_1']);
        expect(await streams('nothing-')).toEqual([]);
      });
    });

    registerStreamFilterTests(current);
    registerSubscriptionTests(current);
    registerBatchSubscriptionTests(current);
    registerConcurrencyTest(current);
    registerAppendManyTests(current);
  });
}
