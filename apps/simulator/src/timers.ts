/** The pending timers of one simulated device (or network server), all cancelled at once on stop. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private cancelled = false;

  /** Runs `action` after `delayMs`, unless cancelled first; never after {@link stop}. */
  later(delayMs: number, action: () => unknown): void {
    if (this.cancelled) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      void action();
    }, delayMs);
    this.pending.add(timer);
  }

  /** Cancels what is pending; later calls still schedule. */
  clear(): void {
    this.pending.forEach((timer) => clearTimeout(timer));
    this.pending.clear();
  }

  /** Cancels what is pending, and everything scheduled from now on. */
  stop(): void {
    this.cancelled = true;
    this.clear();
  }
}
