import type { VariantResult } from '@switchboard/core';
import { FlagUsage } from './flag-usage.ts';

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

/** The server's bounds: a key or variant name longer than this, or a count above it, fails the whole report. */
const MAX_NAME_LENGTH = 100;
const MAX_COUNT = 1_000_000_000;

/**
 * Evaluation counts for the current interval, in bounded memory: past the limits a count is dropped
 * (and counted as dropped), never queued, so a flood of distinct keys costs nothing but the tally.
 * Memory is the flags held by the client's flag table (as many as the snapshot has) plus at most
 * `maxFlags` others counted in the interval.
 */
export class UsageCounter {
  /** Every usage counted in this interval or held by the flag table, by key. */
  private usages = new Map<string, FlagUsage>();
  /** The interval's usages, in the order first counted (the report's order); at most `maxFlags`. */
  private counted: FlagUsage[] = [];
  private startedAt: number;
  private droppedCount = 0;

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

  /**
   * The usage of each of `keys`, for the flag table of a new snapshot, in the same order. A key
   * keeps its usage from one snapshot to the next, so a swap loses no count; usages of keys no
   * longer held are forgotten once reported.
   */
  hold(keys: readonly string[]): FlagUsage[] {
    for (const usage of this.usages.values()) usage.held = false;
    const held = keys.map((key) => {
      let usage = this.usages.get(key);
      if (usage === undefined) {
        usage = new FlagUsage(key, this);
        this.usages.set(key, usage);
      }
      usage.held = true;
      return usage;
    });
    for (const [key, usage] of this.usages) if (!usage.held && !usage.counting) this.usages.delete(key);
    return held;
  }

  /** Counts one evaluation of a flag the flag table does not hold (unknown, or before any data). */
  count(flag: string, enabled: boolean, variant: VariantResult): void {
    const usage = this.usages.get(flag);
    if (usage !== undefined) {
      usage.count(enabled, variant);
    } else if (this.counted.length < this.limits.maxFlags && typeof flag === 'string' && validName(flag)) {
      // Not held: it lives only while counting, so unknown keys take no more than the limit.
      this.countInto(this.enlist(new FlagUsage(flag, this)), enabled, variant);
    } else {
      this.droppedCount++;
    }
  }

  /** `FlagUsage.count`'s slow path: a flag's first count in the interval, or a variant. */
  countInto(usage: FlagUsage, enabled: boolean, variant: VariantResult): void {
    if (!usage.counting) {
      if (this.counted.length >= this.limits.maxFlags || !validName(usage.key)) {
        this.droppedCount++;
        return;
      }
      this.enlist(usage);
    }
    if (enabled) usage.yes++;
    else usage.no++;
    if (variant.enabled) this.countVariant(usage, variant.name, 1);
  }

  /** The interval's report, starting a new interval; null when nothing was counted. */
  take(): UsageReport | null {
    const stop = this.now();
    const start = this.startedAt;
    this.startedAt = stop;
    if (this.counted.length === 0) return null;
    const flags: UsageReport['flags'] = {};
    for (const usage of this.counted) {
      const yes = Math.min(MAX_COUNT, usage.yes);
      const no = Math.min(MAX_COUNT, usage.no);
      flags[usage.key] = usage.variants === null ? { yes, no } : { yes, no, variants: Object.fromEntries(usage.variants) };
      // Reset in place: the flag table keeps counting into the same object.
      usage.yes = 0;
      usage.no = 0;
      usage.variants = null;
      usage.counting = false;
      if (!usage.held) this.usages.delete(usage.key);
    }
    this.counted = [];
    return { start: new Date(start).toISOString(), stop: new Date(stop).toISOString(), flags };
  }

  /** Puts back a report that could not be sent, within the same limits, so one failed send loses nothing. */
  restore(report: UsageReport): void {
    this.startedAt = Math.min(this.startedAt, Date.parse(report.start) || this.startedAt);
    for (const [key, c] of Object.entries(report.flags)) {
      let usage = this.usages.get(key);
      if (usage === undefined || !usage.counting) {
        if (this.counted.length >= this.limits.maxFlags) {
          this.droppedCount += c.yes + c.no;
          continue;
        }
        usage ??= new FlagUsage(key, this);
        this.enlist(usage);
      }
      usage.yes = Math.min(MAX_COUNT, usage.yes + c.yes);
      usage.no = Math.min(MAX_COUNT, usage.no + c.no);
      for (const [name, n] of Object.entries(c.variants ?? {})) this.countVariant(usage, name, n);
    }
  }

  private enlist(usage: FlagUsage): FlagUsage {
    usage.counting = true;
    this.counted.push(usage);
    this.usages.set(usage.key, usage);
    return usage;
  }

  private countVariant(usage: FlagUsage, variant: string, n: number): void {
    usage.variants ??= new Map();
    const held = usage.variants.get(variant);
    if (held !== undefined) {
      usage.variants.set(variant, Math.min(MAX_COUNT, held + n));
    } else if (usage.variants.size < this.limits.maxVariantsPerFlag && variant.length <= MAX_NAME_LENGTH) {
      usage.variants.set(variant, Math.min(MAX_COUNT, n));
    } else {
      this.droppedCount += n;
    }
  }
}

function validName(key: string): boolean {
  return key.length > 0 && key.length <= MAX_NAME_LENGTH;
}
