import type { RecordedEvent, SubscribeCommonOptions } from '../event-store.port';
import { type ConformanceTarget, deferred, events, uniquePrefix } from './fixtures';

/** Subscription behaviour: catch-up, resume from the persisted checkpoint, stop, retries. */
export function registerSubscriptionTests(target: () => ConformanceTarget): void {
  const store = () => target().store;

  /** A subscription to `prefix` that records the events it handled. */
  const collect = (prefix: string, options: Partial<SubscribeCommonOptions> = {}) => {
    const handled: RecordedEvent[] = [];
    const subscribe = () =>
      store().subscribe({
        subscriptionId: `${prefix}sub`,
        streamPrefixes: [prefix],
        handler: async (event) => void handled.push(event),
        ...options,
      });
    return { handled, subscribe };
  };

  describe('subscribe', () => {
    it('catches up from scratch, follows new events and persists its checkpoint on stop', async () => {
      const prefix = uniquePrefix('sub');
      await store().append(`${prefix}a`, events(3), 'no_stream');
      await store().append(`${prefix}b`, events(2), 'no_stream');
      await store().append(`${uniquePrefix('elsewhere')}a`, events(2), 'no_stream');
      const { handled, subscribe } = collect(prefix);

      const subscription = await subscribe();
      await subscription.caughtUp();
      expect(handled.map((event) => `${event.stream.slice(prefix.length)}@${event.revision}`)).toEqual([
        'a@0',
        'a@1',
        'a@2',
        'b@0',
        'b@1',
      ]);
      await store().append(`${prefix}a`, events(2), 2n);
      await subscription.caughtUp();
      expect(handled).toHaveLength(7);
      await subscription.stop();

      const last = handled.at(-1)!.position;
      expect(subscription.checkpoint).toEqual(last);
      expect(await store().readCheckpoint(`${prefix}sub`)).toEqual(last);
    });

    it('resumes after its persisted checkpoint without re-delivering handled events', async () => {
      const prefix = uniquePrefix('resume');
      const stream = `${prefix}a`;
      await store().append(stream, events(4), 'no_stream');
      const { handled, subscribe } = collect(prefix);
      const first = await subscribe();
      await first.caughtUp();
      await first.stop();
      expect(handled).toHaveLength(4);

      await store().append(stream, events(3), 3n);
      const second = await subscribe();
      expect(second.checkpoint).toEqual(handled[3]!.position);
      await second.caughtUp();
      await second.stop();
      expect(handled.map((event) => event.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
      expect(await store().readCheckpoint(`${prefix}sub`)).toEqual(handled[6]!.position);
    });

    it('finishes the event in flight when stopped, and checkpoints it', async () => {
      const prefix = uniquePrefix('inflight');
      await store().append(`${prefix}a`, events(3), 'no_stream');
      const started = deferred();
      const release = deferred();
      const handled: RecordedEvent[] = [];
      const subscription = await store().subscribe({
        subscriptionId: `${prefix}sub`,
        streamPrefixes: [prefix],
        handler: async (event) => {
          started.resolve();
          await release.promise;
          handled.push(event);
        },
      });
      await started.promise;
      const stopped = subscription.stop();
      release.resolve();
      await stopped;
      expect(handled.map((event) => event.revision)).toEqual([0n]);
      expect(await store().readCheckpoint(`${prefix}sub`)).toEqual(handled[0]!.position);
    });

    it('retries a failing handler on the same event and skips nothing', async () => {
      const prefix = uniquePrefix('retry');
      await store().append(`${prefix}a`, events(5), 'no_stream');
      const attempts: bigint[] = [];
      const errors: unknown[] = [];
      const failure = new Error('handler failed once');
      const subscription = await store().subscribe({
        subscriptionId: `${prefix}sub`,
        streamPrefixes: [prefix],
        handler: async (event) => {
          attempts.push(event.revision);
          if (event.revision === 2n && attempts.filter((r) => r === 2n).length === 1) throw failure;
        },
        onError: (error) => errors.push(error),
      });
      await subscription.caughtUp();
      await subscription.stop();
      expect(attempts).toEqual([0n, 1n, 2n, 2n, 3n, 4n]);
      expect(errors).toEqual([failure]);
    });

    it('reports no checkpoint for a subscription that never ran', async () => {
      expect(await store().readCheckpoint(`${uniquePrefix('never')}sub`)).toBeUndefined();
    });
  });
}
