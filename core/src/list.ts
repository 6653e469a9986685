/** An empty list shared by everything that has none (frozen: callers hold it). */
export const NONE: readonly never[] = Object.freeze([]);

/** The value when it is an array, else none: a snapshot comes off the wire and may hold anything. */
export const list = <T>(value: T[] | undefined): readonly T[] => (Array.isArray(value) ? value : NONE);
