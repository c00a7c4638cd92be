interface Waiter {
  readonly version: number;
  wake(): void;
}

/**
 * Lets a write wait until a projection shows it (read your writes). This process's projection
 * reports what it applied with {@link applied}; the read model is also polled, because another
 * replica may be the one projecting. Only keys being waited on are tracked.
 */
export class ProjectionProgress {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(
    /** Version of `key` in the read model (0 or undefined when absent). */
    private readonly versionOf: (key: string) => Promise<number | undefined>,
    private readonly pollMs = 250,
  ) {}

  applied(key: string, version: number): void {
    for (const waiter of this.waiters.get(key) ?? []) if (waiter.version <= version) waiter.wake();
  }

  /** Resolves true once the read model shows `version` of `key`, false after `timeoutMs`. */
  async waitFor(key: string, version: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let wake = () => undefined as void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const waiter: Waiter = { version, wake };
      const list = this.waiters.get(key) ?? new Set<Waiter>();
      list.add(waiter);
      this.waiters.set(key, list);
      try {
        // Registered before reading, so an update landing in between still wakes us.
        if (((await this.versionOf(key)) ?? 0) >= version) return true;
        const left = deadline - Date.now();
        if (left <= 0 || this.closed) return false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          woken,
          new Promise<void>((r) => (timer = setTimeout(r, Math.min(left, this.pollMs)))),
        ]);
        clearTimeout(timer);
      } finally {
        list.delete(waiter);
        if (list.size === 0) this.waiters.delete(key);
      }
    }
  }

  /** Wakes every waiter; they answer false unless the read model already shows their version. */
  close(): void {
    this.closed = true;
    for (const list of this.waiters.values()) for (const waiter of list) waiter.wake();
  }
}
