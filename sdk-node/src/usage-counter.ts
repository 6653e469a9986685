import type { VariantResult } from '@switchboard/core';

/** What `POST /api/sdk/metrics` takes: evaluation counts per flag and variant over one interval. */
export interface UsageReport {
  start: string;
  stop: string;
  flags: Record<string, { yes: number; no: number; variants?: Record<string, number> }>;
}

export interface UsageLimits {
  /** Distinct flags per interval; the server takes at most 5000 per report. */
  maxFlags: number;
  /** Distinct variants per flag per interval; the server takes at most 50. */
  maxVariantsPerFlag: number;
}

interface FlagCount {
  yes: number;
  no: number;
  variants: Map<string, number> | null;
}

/** The server's bounds: a key or variant name longer than this, or a count above it, fails the whole report. */
const MAX_NAME_LENGTH = 100;
const MAX_COUNT = 1_000_000_000;
/** Matches no flag key, whatever a caller passes. */
const NO_KEY = Symbol('no flag yet');

/**
 * Evaluation counts for the current interval, in bounded memory: past the limits a count is dropped
 * (and counted as dropped), never queued, so a flood of distinct keys costs nothing but the tally.
 */
export class UsageCounter {
  private flags = new Map<string, FlagCount>();
  private startedAt: number;
  private droppedCount = 0;
  // The flag counted last: most call sites ask about the same flag again and again, and a pointer
  // comparison is cheaper than a map lookup on the evaluation path.
  private lastKey: unknown = NO_KEY;
  private lastEntry: FlagCount = { yes: 0, no: 0, variants: null };

  constructor(
    private readonly limits: UsageLimits,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** Counts dropped since the client started, because a limit was reached. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Counts one evaluation; `variant` is counted when it is a real one (`enabled`). */
  count(flag: string, enabled: boolean, variant: VariantResult): void {
    // Small on purpose, so it inlines into the evaluation methods; the rest is `countSlowly`.
    // Unbounded here (a double counts exactly to 2^53); the report caps what the server takes.
    if (flag === this.lastKey && !variant.enabled) {
      if (enabled) this.lastEntry.yes++;
      else this.lastEntry.no++;
    } else {
      this.countSlowly(flag, enabled, variant);
    }
  }

  private countSlowly(flag: string, enabled: boolean, variant: VariantResult): void {
    const entry = flag === this.lastKey ? this.lastEntry : this.entryFor(flag);
    if (entry === null) return;
    if (enabled) entry.yes++;
    else entry.no++;
    if (variant.enabled) this.countVariant(entry, variant.name, 1);
  }

  private entryFor(flag: string): FlagCount | null {
    let entry = this.flags.get(flag) ?? null;
    if (entry === null) {
      if (typeof flag !== 'string' || this.flags.size >= this.limits.maxFlags || flag.length === 0 || flag.length > MAX_NAME_LENGTH) {
        this.droppedCount++;
        return null;
      }
      entry = { yes: 0, no: 0, variants: null };
      this.flags.set(flag, entry);
    }
    this.lastKey = flag;
    this.lastEntry = entry;
    return entry;
  }

  /** The interval's report, starting a new interval; null when nothing was counted. */
  take(): UsageReport | null {
    const stop = this.now();
    const start = this.startedAt;
    this.startedAt = stop;
    if (this.flags.size === 0) return null;
    const flags: UsageReport['flags'] = {};
    for (const [key, c] of this.flags) {
      const yes = Math.min(MAX_COUNT, c.yes);
      const no = Math.min(MAX_COUNT, c.no);
      flags[key] = c.variants === null ? { yes, no } : { yes, no, variants: Object.fromEntries(c.variants) };
    }
    this.flags = new Map();
    this.lastKey = NO_KEY;
    return { start: new Date(start).toISOString(), stop: new Date(stop).toISOString(), flags };
  }

  /** Puts back a report that could not be sent, within the same limits, so one failed send loses nothing. */
  restore(report: UsageReport): void {
    this.startedAt = Math.min(this.startedAt, Date.parse(report.start) || this.startedAt);
    for (const [key, c] of Object.entries(report.flags)) {
      let entry = this.flags.get(key);
      if (entry === undefined) {
        if (this.flags.size >= this.limits.maxFlags) {
          this.droppedCount += c.yes + c.no;
          continue;
        }
        entry = { yes: 0, no: 0, variants: null };
        this.flags.set(key, entry);
      }
      entry.yes = Math.min(MAX_COUNT, entry.yes + c.yes);
      entry.no = Math.min(MAX_COUNT, entry.no + c.no);
      for (const [name, n] of Object.entries(c.variants ?? {})) this.countVariant(entry, name, n);
    }
  }

  private countVariant(entry: FlagCount, variant: string, n: number): void {
    entry.variants ??= new Map();
    const held = entry.variants.get(variant);
    if (held !== undefined) {
      entry.variants.set(variant, Math.min(MAX_COUNT, held + n));
    } else if (entry.variants.size < this.limits.maxVariantsPerFlag && variant.length <= MAX_NAME_LENGTH) {
      entry.variants.set(variant, Math.min(MAX_COUNT, n));
    } else {
      this.droppedCount += n;
    }
  }
}
