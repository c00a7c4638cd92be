import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, ReadAllOptions, RecordedEvent } from '../event-store.port';

/** What a conformance run needs from the adapter under test. */
export interface ConformanceTarget {
  readonly store: EventStore;
  cleanup(): Promise<void>;
  /**
   * Appends (expected revision `any`) in a transaction held open `delayMs` before it commits, or
   * rolls back when `rollback`, so that concurrent commits land out of sequence order. Stores
   * whose appends cannot span a client-side transaction leave it out.
   */
  appendWithDelay?(
    stream: string,
    events: readonly EventToAppend[],
    delayMs: number,
    rollback: boolean,
  ): Promise<void>;
}

export type ConformanceFactory = () => Promise<ConformanceTarget>;

/** A unique stream-name prefix, so that runs and tests sharing a server do not see each other's events. */
export function uniquePrefix(label: string): string {
  return `conf${randomUUID().slice(0, 8)}-${label}-`;
}

export function anEvent(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      actor: { type: 'operator', id: 'op-1' },
      reason: 'conformance',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      tenant: 'default',
    },
  };
}

export function events(count: number, type = 'Tested'): EventToAppend[] {
  return Array.from({ length: count }, (_, i) => anEvent(type, { i }));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads the filtered log until it holds at least `count` events: a store may hold back events
 * behind transactions still running elsewhere (PostgreSQL's horizon), so "eventually" is the contract.
 */
export async function readAllEventually(
  store: EventStore,
  options: ReadAllOptions,
  count: number,
  timeoutMs = 20_000,
): Promise<RecordedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const read = await store.readAll(options);
    if (read.length >= count || Date.now() > deadline) return read;
    await sleep(20);
  }
}

/** Every event of the filtered log, page by page. */
export async function readWholeLog(
  store: EventStore,
  prefix: string,
  pageSize = 500,
): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({
      streamPrefixes: [prefix],
      maxCount: pageSize,
      after: all.at(-1)?.position,
    });
    all.push(...page);
    if (page.length < pageSize) return all;
  }
}

/** A promise with its resolver, for handlers that the test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
