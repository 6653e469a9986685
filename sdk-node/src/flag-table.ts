import type { CompiledFlag, CompiledSnapshot } from '@switchboard/core';
import type { FlagUsage } from './flag-usage.ts';
import type { UsageCounter } from './usage-counter.ts';

/** What the evaluation path needs about one flag, found with a single lookup. */
export interface FlagEntry {
  readonly flag: CompiledFlag;
  /** Null when usage metrics are off. */
  readonly usage: FlagUsage | null;
}

/**
 * The flags of one compiled snapshot, each beside its usage counts, built once per snapshot and
 * replaced whole with it.
 */
export class FlagTable {
  private readonly entries = new Map<string, FlagEntry>();
  // The flag found last: most call sites ask about the same flag again and again, and a pointer
  // comparison is cheaper than a map lookup on the evaluation path. Always a key of this table
  // beside its entry, so no sentinel is needed (any string could be a key); the initial '' stays
  // only in an empty table, where it rightly finds nothing.
  private lastKey = '';
  private lastEntry: FlagEntry | null = null;

  constructor(
    readonly snapshot: CompiledSnapshot,
    counter: UsageCounter | null,
  ) {
    const usages = counter?.hold([...snapshot.flags.keys()]) ?? null;
    let i = 0;
    for (const [key, flag] of snapshot.flags) {
      const entry: FlagEntry = { flag, usage: usages?.[i++] ?? null };
      this.lastKey = interned(key);
      this.lastEntry = entry;
      this.entries.set(this.lastKey, entry);
    }
  }

  /** The flag's entry; null when the snapshot has no such flag. */
  find(key: string): FlagEntry | null {
    if (key === this.lastKey) return this.lastEntry;
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    this.lastKey = key;
    this.lastEntry = entry;
    return entry;
  }
}

/**
 * The key as V8's one shared copy. Keys parsed from JSON or cloned are separate copies, and a
 * lookup by a string literal (interned) must then compare characters; against the shared copy it
 * compares pointers. Property names are interned, so a round trip through an object's keys interns.
 */
function interned(key: string): string {
  return Object.keys({ [key]: 0 })[0] ?? key;
}
