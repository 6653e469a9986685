/**
 * The clock and timers the client runs on. Injected (the `timers` option) so tests can drive time
 * without replacing globals; the default is the system's.
 */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

// Node fires a timer longer than this at once (with a warning): a hostile Retry-After must not.
const MAX_DELAY_MS = 2_147_483_647;

/**
 * Real timers, kept referenced on purpose: a client holds its process open until `close()`, like
 * any server or connection pool, so a script awaiting `ready()` cannot silently exit mid-backoff.
 */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(Math.max(0, ms), MAX_DELAY_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
