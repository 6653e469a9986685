import type { Timers } from './timers.ts';

/**
 * An abort signal for one request that fires on whichever comes first: the caller's signal (the
 * client closing) or the time limit. `finish()` must be called once the request is over, so neither
 * the timer nor the listener outlives it.
 */
export class TimedRequest {
  private readonly controller = new AbortController();
  private timer: unknown;
  private timedOutFlag = false;
  private readonly onOuterAbort = () => this.controller.abort();

  constructor(
    private readonly timers: Timers,
    timeoutMs: number,
    private readonly outer: AbortSignal,
  ) {
    if (outer.aborted) this.controller.abort();
    else outer.addEventListener('abort', this.onOuterAbort, { once: true });
    this.timer = timers.setTimeout(() => {
      this.timer = undefined;
      this.timedOutFlag = true;
      this.controller.abort();
    }, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get timedOut(): boolean {
    return this.timedOutFlag;
  }

  /** Stops the clock; the signal stays as it is. */
  stopTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the clock, unhooks from the caller's signal and aborts whatever is still open (an unread body). */
  finish(): void {
    this.stopTimer();
    this.outer.removeEventListener('abort', this.onOuterAbort);
    this.controller.abort();
  }
}
