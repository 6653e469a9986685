import type { Context } from './model.ts';

/** Reads one property, by a name fixed when the snapshot is compiled. */
export type Reader = (o: object) => unknown;

/**
 * Why readers: a property read by a name held in a variable (`props[attribute]`) goes through V8's
 * generic keyed lookup once the one place doing it has seen more than one name, as the evaluator's
 * does. Measured under valgrind: 200 to 300 instructions a read, a quarter of all the instructions of
 * a targeted evaluation. A function whose source names the property reads it as a field instead: a
 * map check and a load once warm, plus the call. The standard fields have theirs written out; custom
 * attributes get one generated from their name (the name goes in as a JSON string literal, so any
 * text reads the same property as `o[name]`). Where code cannot be generated from strings (Node's
 * --disallow-code-generation-from-strings, some edge runtimes), the keyed read remains.
 */
const STANDARD: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ['userId', (o) => (o as Context).userId],
  ['sessionId', (o) => (o as Context).sessionId],
  ['remoteAddress', (o) => (o as Context).remoteAddress],
  ['environment', (o) => (o as Context).environment],
  ['appName', (o) => (o as Context).appName],
  ['currentTime', (o) => (o as Context).currentTime],
]);

/** Generated readers, shared by every snapshot (so they stay warm across revisions); capped. */
const generated = new Map<string, Reader>();
const GENERATED_CAP = 1024;
let canGenerate = true;

function generate(name: string): Reader {
  if (canGenerate) {
    try {
      return new Function('o', `return o[${JSON.stringify(name)}];`) as Reader;
    } catch {
      canGenerate = false;
    }
  }
  return (o) => (o as Record<string, unknown>)[name];
}

/** The reader of property `name`. */
export function readerOf(name: string): Reader {
  const known = STANDARD.get(name) ?? generated.get(name);
  if (known !== undefined) return known;
  const reader = generate(name);
  if (generated.size < GENERATED_CAP) generated.set(name, reader);
  return reader;
}

/** `resolveAttribute` (context.ts) with the property read by `read`: the top level first, then `properties`. */
export function standardValue(ctx: Context, read: Reader): string | undefined {
  const top = read(ctx);
  if (top !== undefined) {
    if (typeof top === 'string') {
      if (top !== '') return top;
    } else if (typeof top === 'number' || typeof top === 'boolean') {
      return String(top);
    } else if (top instanceof Date) {
      return top.toISOString();
    }
  }
  const props = ctx.properties;
  if (props == null || typeof props !== 'object') return undefined;
  const value = read(props);
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `resolveCustomAttribute` (context.ts) with the property read by `read`: `properties` first, then the top level. */
export function customValue(ctx: Context, read: Reader): string | undefined {
  const props = ctx.properties;
  if (props != null && typeof props === 'object') {
    const value = read(props);
    if (typeof value === 'string') {
      if (value !== '') return value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
  }
  const top = read(ctx);
  if (top === undefined) return undefined;
  if (typeof top === 'string') return top === '' ? undefined : top;
  if (typeof top === 'number' || typeof top === 'boolean') return String(top);
  return top instanceof Date ? top.toISOString() : undefined;
}
