import type { CompiledFlag, CompiledSnapshot } from '@switchboard/core';
import type { UsageCounter } from './usage-counter.ts';

/**
 * The flags of one compiled snapshot, each under a slot number, built once per snapshot and
 * replaced whole with it. With usage metrics on, a flag's slot is its slot in the usage counter (so
 * the evaluation path finds the flag and its counts with one map lookup that yields a small
 * integer, stored in the map itself, and no per-flag object); otherwise its place in the snapshot.
 */
export class FlagTable {
  /** By slot; slots that are not this snapshot's flags hold any of its flags and are never looked up. */
  readonly flags: CompiledFlag[] = [];
  private readonly slots = new Map<string, number>();
  // The flag found last: most call sites ask about the same flag again and again, and a pointer
  // comparison is cheaper than a map lookup on the evaluation path. Always a key of this table
  // beside its slot, so no sentinel is needed (any string could be a key); the initial '' stays
  // only in an empty table, where it rightly finds nothing.
  private lastKey = '';
  private lastSlot = -1;

  constructor(
    readonly snapshot: CompiledSnapshot,
    counter: UsageCounter | null,
  ) {
    const keys = [...snapshot.flags.keys()];
    const slots = counter?.hold(keys) ?? keys.map((_, i) => i);
    const compiled = [...snapshot.flags.values()];
    const first = compiled[0];
    if (first !== undefined) {
      // Packed (no holes), so reading a slot is a plain indexed load.
      let length = 0;
      for (const slot of slots) if (slot >= length) length = slot + 1;
      for (let s = 0; s < length; s++) this.flags.push(first);
    }
    for (let i = 0; i < keys.length; i++) {
      const slot = slots[i] as number;
      this.flags[slot] = compiled[i] as CompiledFlag;
      this.lastKey = interned(keys[i] as string);
      this.lastSlot = slot;
      this.slots.set(this.lastKey, slot);
    }
  }

  /** The flag's slot (its compiled form is `flags[slot]`); -1 when the snapshot has no such flag. */
  find(key: string): number {
    if (key === this.lastKey) return this.lastSlot;
    const slot = this.slots.get(key);
    if (slot === undefined) return -1;
    this.lastKey = key;
    this.lastSlot = slot;
    return slot;
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
