import { randomInt } from 'node:crypto';
import type { EventStore, EventToAppend, RecordedEvent, Subscription } from '../event-store.port';
import { anEvent, type ConformanceTarget, readWholeLog, uniquePrefix } from './fixtures';

const WRITERS = 16;
const APPENDS_PER_WRITER = 250;
/** Two writers per stream, so that appends also queue on the stream's lock. */
const STREAMS = 8;
const ROLLBACK_RATE = 0.1;
const MAX_COMMIT_DELAY_MS = 20;
const BATCH_SIZE = 50;

/** What the subscription saw; checked after the writers are done. */
class Observer {
  readonly received = new Map<string, number>();
  readonly outOfOrder: string[] = [];
  readonly oversizedBatches: number[] = [];
  private readonly lastRevision = new Map<string, bigint>();

  readonly batchHandler = async (events: readonly RecordedEvent[]): Promise<void> => {
    if (events.length === 0 || events.length > BATCH_SIZE) this.oversizedBatches.push(events.length);
    for (const event of events) await this.handler(event);
  };

  readonly handler = async (event: RecordedEvent): Promise<void> => {
    this.received.set(event.id, (this.received.get(event.id) ?? 0) + 1);
    const expected = (this.lastRevision.get(event.stream) ?? -1n) + 1n;
    if (event.revision !== expected)
      this.outOfOrder.push(`${event.stream}@${event.revision} (expected ${expected})`);
    this.lastRevision.set(event.stream, event.revision);
  };
}

/**
 * 16 writers append thousands of events while two subscriptions consume them, one event by event
 * and one in batches. Where the target can, each append's transaction stays open a random while
 * and one in ten rolls back, so commits land out of sequence order: each subscription must still
 * see every committed event exactly once, in stream order, and none of the rolled-back ones. Both
 * are restarted half-way to exercise resuming.
 */
export function registerConcurrencyTest(target: () => ConformanceTarget): void {
  it('delivers every committed event exactly once and in stream order under concurrent writers', async () => {
    const { store, appendWithDelay } = target();
    const prefix = uniquePrefix('concurrent');
    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    const subscribers = (['handler', 'batchHandler'] as const).map((kind) => {
      const observer = new Observer();
      const subscribe = (): Promise<Subscription> =>
        store.subscribe({
          subscriptionId: `${prefix}${kind}`,
          streamPrefixes: [prefix],
          batchSize: BATCH_SIZE,
          ...(kind === 'handler' ? { handler: observer.handler } : { batchHandler: observer.batchHandler }),
        });
      return { kind, observer, subscribe, subscription: undefined as Subscription | undefined };
    });
    for (const subscriber of subscribers) subscriber.subscription = await subscriber.subscribe();

    let appends = 0;
    let restarted: Promise<unknown> | undefined;
    const writer = async (w: number): Promise<void> => {
      const stream = `${prefix}${w % STREAMS}`;
      for (let n = 0; n < APPENDS_PER_WRITER; n++) {
        const batch: EventToAppend[] = Array.from({ length: 1 + (n % 3) }, (_, i) =>
          anEvent('Appended', { w, n, i }),
        );
        const rollback = appendWithDelay !== undefined && Math.random() < ROLLBACK_RATE;
        if (appendWithDelay)
          await appendWithDelay(stream, batch, randomInt(MAX_COMMIT_DELAY_MS + 1), rollback);
        else await store.append(stream, batch, 'any');
        batch.forEach((event) => (rollback ? rolledBack : committed).add(event.id));
        if (++appends === (WRITERS * APPENDS_PER_WRITER) / 2)
          restarted = Promise.all(subscribers.map(restart));
      }
    };
    const restart = async (subscriber: (typeof subscribers)[number]): Promise<void> => {
      await subscriber.subscription?.stop();
      subscriber.subscription = await subscriber.subscribe();
    };

    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await restarted;
    for (const { subscription } of subscribers) {
      await subscription?.caughtUp();
      await subscription?.stop();
    }

    const outcome = ({ observer }: (typeof subscribers)[number]) => {
      const ids = [...observer.received.keys()];
      return {
        missing: [...committed].filter((id) => !observer.received.has(id)).length,
        duplicated: [...observer.received.values()].filter((times) => times > 1).length,
        rolledBackButDelivered: ids.filter((id) => rolledBack.has(id)).length,
        unknown: ids.filter((id) => !committed.has(id) && !rolledBack.has(id)).length,
        outOfOrder: observer.outOfOrder,
        oversizedBatches: observer.oversizedBatches,
      };
    };
    const clean = {
      missing: 0,
      duplicated: 0,
      rolledBackButDelivered: 0,
      unknown: 0,
      outOfOrder: [],
      oversizedBatches: [],
    };
    expect(Object.fromEntries(subscribers.map((s) => [s.kind, outcome(s)]))).toEqual({
      handler: clean,
      batchHandler: clean,
    });
    await expectLogMatches(store, prefix, committed);
  }, 180_000);
}

/** The paged global log holds the same events, each stream in revision order. */
async function expectLogMatches(store: EventStore, prefix: string, committed: Set<string>): Promise<void> {
  const log = await readWholeLog(store, prefix);
  expect(log.length).toBe(committed.size);
  expect(new Set(log.map((event) => event.id))).toEqual(committed);
  const observer = new Observer();
  for (const event of log) await observer.handler(event);
  expect(observer.outOfOrder).toEqual([]);
}
