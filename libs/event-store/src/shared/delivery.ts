import type { BatchHandler, EventHandler, SubscribeOptions } from '../event-store.port';

export const DEFAULT_BATCH_SIZE = 500;

/** How a subscription hands its events over: one at a time, or a batch at a time. */
export type Delivery =
  | { readonly kind: 'event'; readonly handler: EventHandler }
  | { readonly kind: 'batch'; readonly handler: BatchHandler };

/**
 * The handler and batch size of a subscription, checked when it is started: the types already
 * demand exactly one handler, but a cast or a JavaScript caller can still get it wrong.
 * @throws TypeError when neither or both of `handler` and `batchHandler` are given, or when
 *   `batchSize` is not a positive integer.
 */
export function subscriptionDelivery(options: SubscribeOptions): {
  delivery: Delivery;
  batchSize: number;
} {
  const { handler, batchHandler, subscriptionId } = options as {
    handler?: unknown;
    batchHandler?: unknown;
    subscriptionId: string;
  };
  const given = [handler, batchHandler].filter((h) => h !== undefined);
  if (given.length !== 1 || typeof given[0] !== 'function') {
    throw new TypeError(
      `subscription ${subscriptionId}: give exactly one of \`handler\` and \`batchHandler\` (a function), ` +
        `got ${given.length === 2 ? 'both' : given.length === 0 ? 'neither' : 'a non-function'}`,
    );
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new TypeError(
      `subscription ${subscriptionId}: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  const delivery: Delivery = options.batchHandler
    ? { kind: 'batch', handler: options.batchHandler }
    : { kind: 'event', handler: options.handler };
  return { delivery, batchSize };
}
