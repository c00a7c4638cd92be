import type { ExpectedRevision } from '../event-store.port';

/** First delay after a failure; doubled on each consecutive failure. */
const BASE_DELAY_MS = 100;
/** Long enough to stop hammering a broken store, short enough to recover quickly once it is back. */
const MAX_DELAY_MS = 5_000;

/** Exponential backoff for the `attempt`-th consecutive failure (1-based), capped at a few seconds. */
export function backoffDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
}

/**
 * A sleep that `wake()` cuts short, so that a stopping subscription or a new event does not
 * have to wait out a poll interval or a backoff.
 */
export class Waker {
  private pending: (() => void) | undefined;
  private woken = false;

  /** Resolves after `ms`, or earlier on `wake()`; a wake that came while not sleeping is kept for the next sleep. */
  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pending = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending = done;
    });
  }

  wake(): void {
    if (this.pending) this.pending();
    else this.woken = true;
  }
}

/** The expected revision as `ConcurrencyError` reports it. */
export function describeExpected(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}
