/** Exponential backoff with full jitter, capped; attempt 0 waits about `baseMs`. */
export function backoffDelay(attempt: number, baseMs = 100, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
