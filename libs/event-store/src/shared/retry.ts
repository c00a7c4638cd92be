import type { ExpectedRevision } from '../event-store.port';

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
