import { RetryPolicy, retryPolicyFor, type TrackedMetric, type TrackingAggregator } from '@switchboard/core';
import { describeError } from './describe-error.ts';
import type { SafeLogger } from './logger.ts';
import { sdkHeaders } from './sdk-headers.ts';
import { TimedRequest } from './timed-request.ts';
import type { Timers } from './timers.ts';
import type { UsageCounter, UsageReport } from './usage-counter.ts';

export interface MetricsReporterOptions {
  url: string;
  sdkKey: string;
  fetch: typeof fetch;
  timers: Timers;
  intervalMs: number;
  timeoutMs: number;
  counter: UsageCounter;
  /** The `track()` rows, once the application tracks anything. */
  tracking: () => TrackingAggregator | null;
  log: SafeLogger;
}

/** The body: usage counts, and `metrics` only when there are some (servers before them reject the field). */
type Report = UsageReport & { metrics?: TrackedMetric[] };

/**
 * Sends the usage counts every interval, in the background: one request at a time, never retried in
 * a loop. A report that fails for a passing reason is merged into the next one, within the counter's
 * bounds; one the server rejects as such is dropped.
 */
export class MetricsReporter {
  private timer: unknown;
  private sending: Promise<void> | null = null;
  private stopped = false;
  private readonly aborter = new AbortController();
  private warned = false;

  constructor(private readonly o: MetricsReporterOptions) {}

  start(): void {
    this.schedule();
  }

  /** Stops without a last report (the key was refused: another request would be refused too). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops and sends what was counted since the last report, waiting at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    const wasStopped = this.stopped;
    this.stop();
    if (this.sending) await this.sending;
    if (!wasStopped) await this.send(timeoutMs, false);
    this.aborter.abort();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = undefined;
      void this.send(this.o.timeoutMs, true).then(() => this.schedule());
    }, this.o.intervalMs);
  }

  /** Never rejects. */
  private send(timeoutMs: number, keepOnFailure: boolean): Promise<void> {
    if (this.sending) return this.sending;
    const usage = this.o.counter.take();
    const metrics = this.o.tracking()?.take() ?? [];
    if (usage === null && metrics.length === 0) return Promise.resolve();
    const now = new Date(this.o.timers.now()).toISOString();
    const report: Report = usage ?? { start: now, stop: now, flags: {} };
    if (metrics.length > 0) report.metrics = metrics;
    this.sending = this.post(report, timeoutMs, keepOnFailure).finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  private async post(report: Report, timeoutMs: number, keepOnFailure: boolean): Promise<void> {
    const request = new TimedRequest(this.o.timers, timeoutMs, this.aborter.signal);
    try {
      const res = await this.o.fetch(this.o.url, {
        method: 'POST',
        headers: sdkHeaders(this.o.sdkKey, { 'content-type': 'application/json' }),
        body: JSON.stringify(report),
        signal: request.signal,
      });
      if (res.ok) {
        this.warned = false;
        return;
      }
      if (retryPolicyFor(res.status) === RetryPolicy.Fatal) {
        this.log(`usage metrics refused with HTTP ${res.status}; no more reports will be sent`);
        this.stop();
      } else if (res.status >= 500 || res.status === 408 || res.status === 429) {
        this.failed(report, `HTTP ${res.status}`, keepOnFailure);
      } else {
        // The server rejects this report as such (400): sending it again would fail again.
        this.log(`usage report rejected with HTTP ${res.status}; dropped`);
      }
    } catch (error) {
      this.failed(report, request.timedOut ? 'timed out' : describeError(error), keepOnFailure);
    } finally {
      request.finish();
    }
  }

  private failed(report: Report, why: string, keep: boolean): void {
    if (keep) {
      this.o.counter.restore(report);
      if (report.metrics !== undefined) this.o.tracking()?.restore(report.metrics);
    }
    this.log(`usage report not sent (${why}); ${keep ? 'kept for the next one' : 'dropped'}`);
  }

  private log(message: string): void {
    if (this.warned) {
      this.o.log.debug(message);
    } else {
      this.warned = true;
      this.o.log.warn(message);
    }
  }
}
