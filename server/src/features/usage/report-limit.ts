/**
 * Usage reports per key per minute on this replica: a fixed window, enough to stop one key from
 * flooding the aggregator without a round trip to Redis for every report.
 */
export class ReportLimit {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Counts one report; the seconds to wait when the key is over its allowance, else 0. */
  take(keyId: string, now = Date.now()): number {
    const window = Math.floor(now / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const n = (this.counts.get(keyId) ?? 0) + 1;
    this.counts.set(keyId, n);
    return n > this.perMinute ? Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000)) : 0;
  }
}
