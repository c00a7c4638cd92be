import { ValidationError } from '@fleet/core';
import type { ReadStreamOptions } from '../event-store.port';

/** The filters of a stream read, checked: time bounds as epoch milliseconds, both inclusive. */
export interface StreamFilter {
  readonly types: readonly string[] | undefined;
  readonly actorId: string | undefined;
  readonly occurredFrom: number | undefined;
  readonly occurredTo: number | undefined;
}

/**
 * What the filter looks at: a `RecordedEvent` is one; the metadata is typed loosely because stored
 * metadata is whatever was written.
 */
export interface FilterableEvent {
  readonly type: string;
  readonly metadata?: {
    readonly actor?: { readonly id?: string } | null;
    readonly occurredAt?: string | null;
  } | null;
}

/**
 * The filters given in `options`, or `undefined` when there are none (an empty `types` is none).
 * @throws ValidationError when a time bound is not a valid instant.
 */
export function streamFilter(options: ReadStreamOptions): StreamFilter | undefined {
  const types = options.types?.length ? options.types : undefined;
  const { actorId } = options;
  const occurredFrom = instant('occurredFrom', options.occurredFrom);
  const occurredTo = instant('occurredTo', options.occurredTo);
  if (!types && actorId === undefined && occurredFrom === undefined && occurredTo === undefined)
    return undefined;
  return { types, actorId, occurredFrom, occurredTo };
}

/**
 * Whether an event passes the filter; for stores that cannot filter on the server. An event whose
 * `occurredAt` is missing or not an instant fails every time bound.
 */
export function matchesStreamFilter(event: FilterableEvent, filter: StreamFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.actorId !== undefined && event.metadata?.actor?.id !== filter.actorId) return false;
  if (filter.occurredFrom === undefined && filter.occurredTo === undefined) return true;
  const at = Date.parse(event.metadata?.occurredAt ?? '');
  // NaN fails both comparisons.
  return (
    (filter.occurredFrom === undefined || at >= filter.occurredFrom) &&
    (filter.occurredTo === undefined || at <= filter.occurredTo)
  );
}

function instant(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ValidationError(`${option} must be an ISO-8601 instant, got ${JSON.stringify(value)}`, {
      issues: [{ path: option, message: 'an ISO-8601 instant' }],
    });
  }
  return ms;
}
