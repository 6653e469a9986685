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

/** The server's bounds: a key or variant name longer than this, or a count above it, fails the whole report. */
const MAX_NAME_LENGTH = 100;
const MAX_COUNT = 1_000_000_000;
const INITIAL_SLOTS = 16;

/**
 * Evaluation counts for the current interval, in bounded memory: past the limits a count is dropped
 * (and counted as dropped), never queued, so a flood of distinct keys costs nothing but the tally.
 *
 * Each key counted or held by the client's flag table has a slot number; its counts are cells of
 * typed arrays (yes at `2 * slot`, no at `2 * slot + 1`), so the evaluation path bumps one cell of a
 * small contiguous array instead of reaching a per-flag object somewhere on the heap (with a
 * thousand flags called at random, that object was a cache miss on every call). Memory is the slots
 * of the flags held (as many as the snapshot has) plus at most `maxFlags` others counted in the
 * interval; a slot freed is reused.
 */
export class UsageCounter {
  /** Yes and no counts per slot; unbounded here (a double counts exactly to 2^53), the report caps them. Replaced (copied) when it grows. */
  counts = new Float64Array(2 * INITIAL_SLOTS);
  /** 1 when the slot is in the current interval's report: until it is, counts go through `countInto`, which enlists it within the limits. */
  private counting = new Uint8Array(INITIAL_SLOTS);
  /** 1 when held by the client's flag table: kept once reported, instead of freed. */
  private held = new Uint8Array(INITIAL_SLOTS);
  private keys: string[] = [];
  private variants: Array<Map<string, number> | null> = [];
  private readonly slots = new Map<string, number>();
  private free: number[] = [];
  private size = 0;
  /** The interval's slots, in the order first counted (the report's order); at most `maxFlags`. */
  private counted: number[] = [];
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
   * The slot of each of `keys`, for the flag table of a new snapshot, in the same order. A key
   * keeps its slot from one snapshot to the next, so a swap loses no count; slots of keys no longer
   * held are freed once reported.
   */
  hold(keys: readonly string[]): number[] {
    this.held.fill(0);
    const held = keys.map((key) => {
      const slot = this.slots.get(key) ?? this.allocate(key);
      this.held[slot] = 1;
      return slot;
    });
    for (const slot of this.slots.values()) if (this.held[slot] === 0 && this.counting[slot] === 0) this.release(slot);
    return held;
  }

  /**
   * Counts one evaluation of the flag in `slot` (from `hold`); `variant` is counted when it is a
   * real one (`enabled`). Small on purpose, so it inlines into the evaluation methods.
   */
  countSlot(slot: number, enabled: boolean, variant: VariantResult): void {
    if (this.counting[slot] === 1 && variant.enabled !== true) {
      const counts = this.counts;
      const i = enabled ? 2 * slot : 2 * slot + 1;
      counts[i] = (counts[i] as number) + 1;
    } else {
      this.countInto(slot, enabled, variant);
    }
  }

  /** Counts one evaluation of a flag the flag table does not hold (unknown, or before any data). */
  count(flag: string, enabled: boolean, variant: VariantResult): void {
    const slot = this.slots.get(flag);
    if (slot !== undefined) {
      this.countSlot(slot, enabled, variant);
    } else if (this.counted.length < this.limits.maxFlags && typeof flag === 'string' && validName(flag)) {
      // Not held: it lives only while counting, so unknown keys take no more than the limit.
      this.countInto(this.enlist(this.allocate(flag)), enabled, variant);
    } else {
      this.droppedCount++;
    }
  }

  /** `countSlot`'s slow path: a flag's first count in the interval, or a variant. */
  countInto(slot: number, enabled: boolean, variant: VariantResult): void {
    if (this.counting[slot] === 0) {
      if (this.counted.length >= this.limits.maxFlags || !validName(this.keys[slot] as string)) {
        this.droppedCount++;
        return;
      }
      this.enlist(slot);
    }
    const counts = this.counts;
    const i = enabled ? 2 * slot : 2 * slot + 1;
    counts[i] = (counts[i] as number) + 1;
    if (variant.enabled) this.countVariant(slot, variant.name, 1);
  }

  /** The interval's report, starting a new interval; null when nothing was counted. */
  take(): UsageReport | null {
    const stop = this.now();
    const start = this.startedAt;
    this.startedAt = stop;
    if (this.counted.length === 0) return null;
    const flags: UsageReport['flags'] = {};
    const counts = this.counts;
    for (const slot of this.counted) {
      const yes = Math.min(MAX_COUNT, counts[2 * slot] as number);
      const no = Math.min(MAX_COUNT, counts[2 * slot + 1] as number);
      const variants = this.variants[slot];
      flags[this.keys[slot] as string] = variants == null ? { yes, no } : { yes, no, variants: Object.fromEntries(variants) };
      // Reset in place: the flag table keeps counting into the same slot.
      counts[2 * slot] = 0;
      counts[2 * slot + 1] = 0;
      this.variants[slot] = null;
      this.counting[slot] = 0;
      if (this.held[slot] === 0) this.release(slot);
    }
    this.counted = [];
    return { start: new Date(start).toISOString(), stop: new Date(stop).toISOString(), flags };
  }

  /** Puts back a report that could not be sent, within the same limits, so one failed send loses nothing. */
  restore(report: UsageReport): void {
    this.startedAt = Math.min(this.startedAt, Date.parse(report.start) || this.startedAt);
    for (const [key, c] of Object.entries(report.flags)) {
      let slot = this.slots.get(key);
      if (slot === undefined || this.counting[slot] === 0) {
        if (this.counted.length >= this.limits.maxFlags) {
          this.droppedCount += c.yes + c.no;
          continue;
        }
        slot ??= this.allocate(key);
        this.enlist(slot);
      }
      const counts = this.counts;
      counts[2 * slot] = Math.min(MAX_COUNT, (counts[2 * slot] as number) + c.yes);
      counts[2 * slot + 1] = Math.min(MAX_COUNT, (counts[2 * slot + 1] as number) + c.no);
      for (const [name, n] of Object.entries(c.variants ?? {})) this.countVariant(slot, name, n);
    }
  }

  private allocate(key: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.size++;
      if (slot >= this.counting.length) this.grow(2 * this.counting.length);
    }
    this.keys[slot] = key;
    this.variants[slot] = null;
    this.slots.set(key, slot);
    return slot;
  }

  /** The slot's counts are zero (a new slot, or reset by `take`) whenever it is freed. */
  private release(slot: number): void {
    this.slots.delete(this.keys[slot] as string);
    this.keys[slot] = '';
    this.variants[slot] = null;
    this.held[slot] = 0;
    this.free.push(slot);
  }

  private grow(slots: number): void {
    const counts = new Float64Array(2 * slots);
    counts.set(this.counts);
    this.counts = counts;
    const counting = new Uint8Array(slots);
    counting.set(this.counting);
    this.counting = counting;
    const held = new Uint8Array(slots);
    held.set(this.held);
    this.held = held;
  }

  private enlist(slot: number): number {
    this.counting[slot] = 1;
    this.counted.push(slot);
    return slot;
  }

  private countVariant(slot: number, variant: string, n: number): void {
    let variants = this.variants[slot];
    if (variants == null) {
      variants = new Map();
      this.variants[slot] = variants;
    }
    const held = variants.get(variant);
    if (held !== undefined) {
      variants.set(variant, Math.min(MAX_COUNT, held + n));
    } else if (variants.size < this.limits.maxVariantsPerFlag && variant.length <= MAX_NAME_LENGTH) {
      variants.set(variant, Math.min(MAX_COUNT, n));
    } else {
      this.droppedCount += n;
    }
  }
}

function validName(key: string): boolean {
  return key.length > 0 && key.length <= MAX_NAME_LENGTH;
}
