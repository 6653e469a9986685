/**
 * Requests per second per name (a key id, a client address) on this replica: a fixed one-second
 * window, counted in memory before any await, so a burst cannot overshoot and the hot path costs
 * one map lookup. The map is dropped every second, so it never outgrows one second's callers.
 */
export class RateLimit {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perSecond: number) {}

  /** Counts one request; false when `name` is over its allowance for the current second. */
  take(name: string, now = Date.now()): boolean {
    const window = Math.floor(now / 1000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    return n <= this.perSecond;
  }
}
