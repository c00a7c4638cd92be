/**
 * Delay before retrying the `attempt`-th consecutive failure (1-based): doubles from `baseMs`,
 * capped at `maxMs`, so a broken dependency is not hammered and a recovered one is used quickly.
 */
export function backoffDelay(attempt: number, { baseMs = 100, maxMs = 5_000 } = {}): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
