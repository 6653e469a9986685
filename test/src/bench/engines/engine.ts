import type { CallOrder, FlagSpec, User } from '../scenarios.ts';

export interface Closable {
  /** Stops timers and drops listeners, so the next engine runs undisturbed. */
  close(): void;
}

/** Flags loaded into one engine, with the users already in that engine's context shape. */
export interface LoadedEngine extends Closable {
  /** One evaluation, for the sanity check. */
  isOn(flagIndex: number, userIndex: number): boolean;
  /**
   * The timed loop: `count` calls starting at call `from` of the order; returns how many were on.
   * Every adapter has its own copy so each call site sees one engine only and stays monomorphic;
   * a shared loop calling through an interface would cost the faster engines the most.
   */
  run(order: CallOrder, from: number, count: number): number;
}

export interface Engine {
  readonly name: string;
  /**
   * Builds the engine's in-memory form of `flags` from the JSON text its server would send, entirely
   * locally. The handle references everything the engine keeps, so holding it is what the heap
   * measurement counts; the wire text and anything else built on the way can be collected.
   */
  load(flags: readonly FlagSpec[]): Promise<Closable>;
  /** Loads `flags` and converts `users` to the engine's context shape, all before timing. */
  prepare(flags: readonly FlagSpec[], users: readonly User[]): Promise<LoadedEngine>;
}
