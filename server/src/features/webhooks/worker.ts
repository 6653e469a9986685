import type { Database } from '../../db/client.ts';
import { type SendResult, sendDelivery } from './sender.ts';
import { type AttemptOutcome, type ClaimedDelivery, claimDueDeliveries, recordAttempt } from './store.ts';
import type { LookupAll } from './targets.ts';

/** Waits after failed attempts 1, 2, 3, ...; the last one repeats. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 3_600_000];

export interface WebhookWorkerOptions {
  db: Database;
  log: { warn(obj: unknown, msg?: string): void };
  /** Pause between polls when there was nothing (or little) to do. */
  pollMs?: number;
  /** Deliveries claimed per poll, sent side by side. */
  batchSize?: number;
  /** Per attempt, DNS included. */
  timeoutMs?: number;
  /** How long a claimed delivery stays someone's; longer than any attempt can take. */
  leaseMs?: number;
  backoffMs?: readonly number[];
  /** Attempts before a delivery is `failed`. */
  maxAttempts?: number;
  lookup?: LookupAll;
}

export interface WorkerSettings {
  pollMs: number;
  batchSize: number;
  timeoutMs: number;
  leaseMs: number;
  backoffMs: readonly number[];
  maxAttempts: number;
}

export const DEFAULT_SETTINGS: WorkerSettings = {
  pollMs: 1000,
  batchSize: 10,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  backoffMs: DEFAULT_BACKOFF_MS,
  maxAttempts: 8,
};

/** What to do after attempt `attempt` (1-based) ended with `result`. */
export function outcomeOf(
  result: SendResult,
  attempt: number,
  settings: Pick<WorkerSettings, 'backoffMs' | 'maxAttempts'>,
): AttemptOutcome {
  if (result.ok) return { state: 'delivered', status: result.status, error: null };
  if (attempt >= settings.maxAttempts) {
    return { state: 'failed', status: result.status, error: `${result.error ?? 'failed'} (gave up after ${attempt} attempts)` };
  }
  const schedule = settings.backoffMs.length > 0 ? settings.backoffMs : DEFAULT_BACKOFF_MS;
  const retryInMs = schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0;
  return { state: 'pending', status: result.status, error: result.error, retryInMs };
}

/**
 * Sends queued deliveries. Every replica runs one; they share the work through the database
 * (`claimDueDeliveries`), so each delivery is attempted by one replica at a time. Deliveries are
 * at least once: a replica that dies mid-attempt leaves its lease to run out, and the attempt is
 * repeated elsewhere with the same delivery id.
 */
export class WebhookWorker {
  readonly settings: WorkerSettings;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private abort = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: WebhookWorkerOptions) {
    this.settings = {
      pollMs: options.pollMs ?? DEFAULT_SETTINGS.pollMs,
      batchSize: options.batchSize ?? DEFAULT_SETTINGS.batchSize,
      timeoutMs: options.timeoutMs ?? DEFAULT_SETTINGS.timeoutMs,
      leaseMs: Math.max(options.leaseMs ?? DEFAULT_SETTINGS.leaseMs, (options.timeoutMs ?? DEFAULT_SETTINGS.timeoutMs) * 2),
      backoffMs: options.backoffMs ?? DEFAULT_SETTINGS.backoffMs,
      maxAttempts: options.maxAttempts ?? DEFAULT_SETTINGS.maxAttempts,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /**
   * Stops polling and waits for attempts in flight, up to `graceMs`; those still going are then
   * aborted and recorded as failed attempts (retried later, here or on another replica).
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const busy = () => Promise.allSettled([this.running, ...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const done = await Promise.race([busy().then(() => true as const), grace]);
    clearTimeout(timer);
    if (!done) {
      this.abort.abort();
      await busy();
    }
  }

  /** One poll: claims a batch and attempts each delivery. Resolves when all are recorded; returns how many. */
  async runOnce(): Promise<number> {
    const { batchSize, leaseMs } = this.settings;
    const claimed = await claimDueDeliveries(this.options.db, batchSize, leaseMs);
    await Promise.all(claimed.map((d) => this.track(this.attempt(d))));
    return claimed.length;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    let outcome: AttemptOutcome;
    if (d.attempts > this.settings.maxAttempts) {
      // Left over by a replica that died during the last attempt: nothing more to try.
      outcome = { state: 'failed', status: null, error: `gave up after ${d.attempts - 1} attempts (the last one was interrupted)` };
    } else {
      const result = await sendDelivery(d, {
        timeoutMs: this.settings.timeoutMs,
        signal: this.abort.signal,
        ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      });
      outcome = outcomeOf(result, d.attempts, this.settings);
    }
    try {
      await recordAttempt(this.options.db, d.id, d.attempts, outcome);
    } catch (err) {
      // The lease runs out and the delivery is attempted again.
      this.options.log.warn({ err, delivery: d.id }, 'recording a webhook attempt failed');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let claimed = 0;
    try {
      claimed = await this.runOnce();
    } catch (err) {
      if (!this.stopped) this.options.log.warn({ err }, 'claiming webhook deliveries failed');
    }
    // A full batch suggests more are due: go again at once.
    this.schedule(claimed >= this.settings.batchSize ? 0 : this.settings.pollMs);
  }
}

/**
 * Worker settings from the environment, for tests and tuning (all optional): WEBHOOK_POLL_MS,
 * WEBHOOK_TIMEOUT_MS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_BACKOFF_MS (comma-separated waits, ms).
 * A value that does not parse keeps its default, with a warning.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void): Partial<WorkerSettings> {
  const out: Partial<WorkerSettings> = {};
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    warn(`${name} must be an integer from ${min} to ${max}; using the default`);
    return undefined;
  };
  const pollMs = int('WEBHOOK_POLL_MS', 10, 60_000);
  if (pollMs !== undefined) out.pollMs = pollMs;
  const timeoutMs = int('WEBHOOK_TIMEOUT_MS', 100, 60_000);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  const maxAttempts = int('WEBHOOK_MAX_ATTEMPTS', 1, 50);
  if (maxAttempts !== undefined) out.maxAttempts = maxAttempts;
  const backoff = env.WEBHOOK_BACKOFF_MS?.trim();
  if (backoff) {
    const list = backoff.split(',').map((s) => Number(s.trim()));
    if (list.every((n) => Number.isInteger(n) && n >= 0 && n <= 86_400_000)) out.backoffMs = list;
    else warn('WEBHOOK_BACKOFF_MS must be comma-separated integers (ms) from 0 to 86400000; using the default');
  }
  return out;
}
