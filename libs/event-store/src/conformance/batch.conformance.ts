import type { RecordedEvent, SubscribeOptions } from '../event-store.port';
import { type ConformanceTarget, deferred, events, readWholeLog, uniquePrefix } from './fixtures';

const revisions = (batch: readonly RecordedEvent[]): bigint[] => batch.map((event) => event.revision);

/**
 * Subscriptions with a `batchHandler`: consecutive events in global order, at most `batchSize` at a
 * time; a failing batch is retried whole before anything after it; the checkpoint only ever moves
 * past batches whose handler resolved.
 */
export function registerBatchSubscriptionTests(target: () => ConformanceTarget): void {
  const store = () => target().store;

  describe('subscribe with a batch handler', () => {
    it('delivers every event once, in global order, in batches of at most batchSize', async () => {
      const prefix = uniquePrefix('batch');
      const subscriptionId = `${prefix}sub`;
      // 20 events in appends of 1 to 4 events, interleaved over three streams.
      for (let i = 0; i < 8; i++)
        await store().append(`${prefix}${'abc'[i % 3]}`, events(1 + (i % 4)), 'any');
      const calls: RecordedEvent[][] = [];
      const subscription = await store().subscribe({
        subscriptionId,
        streamPrefixes: [prefix],
        batchSize: 3,
        batchHandler: async (batch) => void calls.push([...batch]),
      });
      await subscription.caughtUp();
      expect(calls.flat()).toHaveLength(20);
      await store().append(`${prefix}d`, events(7), 'no_stream');
      await subscription.caughtUp();
      await subscription.stop();

      const log = await readWholeLog(store(), prefix);
      expect(log).toHaveLength(27);
      expect(calls.flat().map((event) => event.id)).toEqual(log.map((event) => event.id));
      expect(calls.filter((batch) => batch.length === 0 || batch.length > 3)).toEqual([]);
      expect(calls.length).toBeLessThan(log.length);
      expect(subscription.checkpoint).toEqual(log.at(-1)!.position);
      expect(await store().readCheckpoint(subscriptionId)).toEqual(log.at(-1)!.position);
    });

    it('retries a failing batch whole and delivers nothing after it until it succeeds', async () => {
      const prefix = uniquePrefix('batchretry');
      await store().append(`${prefix}a`, events(12), 'no_stream');
      const calls: bigint[][] = [];
      const errors: unknown[] = [];
      const failure = new Error('batch handler failed');
      let failuresLeft = 2;
      const subscription = await store().subscribe({
        subscriptionId: `${prefix}sub`,
        streamPrefixes: [prefix],
        batchSize: 4,
        batchHandler: async (batch) => {
          calls.push(revisions(batch));
          if (batch.some((event) => event.revision === 5n) && failuresLeft-- > 0) throw failure;
        },
        onError: (error) => errors.push(error),
      });
      await subscription.caughtUp();
      await subscription.stop();

      const failed = calls.findIndex((batch) => batch.includes(5n));
      // The failed batch, then the very same batch twice more: nothing after it came in between.
      expect(calls.slice(failed + 1, failed + 3)).toEqual([calls[failed], calls[failed]]);
      const succeeded = calls.filter((_, i) => i !== failed && i !== failed + 1);
      expect(succeeded.flat()).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)));
      expect(errors).toEqual([failure, failure]);
    });

    it('checkpoints only past batches that succeeded and resumes after the last of them', async () => {
      const prefix = uniquePrefix('batchresume');
      const subscriptionId = `${prefix}sub`;
      await store().append(`${prefix}a`, events(10), 'no_stream');
      const succeeded: RecordedEvent[][] = [];
      const failing = deferred();
      const first = await store().subscribe({
        subscriptionId,
        streamPrefixes: [prefix],
        batchSize: 3,
        batchHandler: async (batch) => {
          if (batch.some((event) => event.revision >= 6n)) {
            failing.resolve();
            throw new Error('projection database is down');
          }
          succeeded.push([...batch]);
        },
        onError: () => undefined,
      });
      await failing.promise;
      await first.stop();
      const lastGood = succeeded.flat().at(-1)!;
      expect(lastGood.revision).toBeLessThan(6n);
      expect(first.checkpoint).toEqual(lastGood.position);
      expect(await store().readCheckpoint(subscriptionId)).toEqual(lastGood.position);

      const resumed: RecordedEvent[][] = [];
      const second = await store().subscribe({
        subscriptionId,
        streamPrefixes: [prefix],
        batchSize: 3,
        batchHandler: async (batch) => void resumed.push([...batch]),
      });
      expect(second.checkpoint).toEqual(lastGood.position);
      await second.caughtUp();
      await second.stop();
      expect([...succeeded, ...resumed].flatMap(revisions)).toEqual(
        Array.from({ length: 10 }, (_, i) => BigInt(i)),
      );
      expect(await store().readCheckpoint(subscriptionId)).toEqual(resumed.flat().at(-1)!.position);
    });

    it('finishes the batch in flight when stopped, and checkpoints it', async () => {
      const prefix = uniquePrefix('batchinflight');
      await store().append(`${prefix}a`, events(5), 'no_stream');
      const started = deferred();
      const release = deferred();
      const handled: RecordedEvent[][] = [];
      const subscription = await store().subscribe({
        subscriptionId: `${prefix}sub`,
        streamPrefixes: [prefix],
        batchSize: 2,
        batchHandler: async (batch) => {
          started.resolve();
          await release.promise;
          handled.push([...batch]);
        },
      });
      await started.promise;
      const stopped = subscription.stop();
      release.resolve();
      await stopped;
      expect(handled).toHaveLength(1);
      expect(revisions(handled[0]!)).toEqual(revisions(handled[0]!).map((_, i) => BigInt(i)));
      expect(await store().readCheckpoint(`${prefix}sub`)).toEqual(handled[0]!.at(-1)!.position);
    });

    it('refuses a subscription with neither or both of handler and batchHandler', async () => {
      const subscriptionId = `${uniquePrefix('badhandler')}sub`;
      const handler = async (): Promise<void> => undefined;
      const invalid = [{ subscriptionId }, { subscriptionId, handler, batchHandler: handler }];
      for (const options of invalid) {
        await expect(store().subscribe(options as unknown as SubscribeOptions)).rejects.toThrow(
          /exactly one of `handler` and `batchHandler`/,
        );
      }
      await expect(store().subscribe({ subscriptionId, handler, batchSize: 0 })).rejects.toThrow(
        /batchSize must be a positive integer/,
      );
    });
  });
}
