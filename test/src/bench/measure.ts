import type { Closable, LoadedEngine } from './engines/engine.ts';
import type { CallOrder } from './scenarios.ts';

export interface Throughput {
  /** Median over the rounds. */
  opsPerSecond: number;
  calls: number;
  on: number;
}

/** Long enough per batch that reading the clock is noise, short enough to stop near the deadline. */
const BATCH_MS = 5;

/** Calls per batch so one batch takes about BATCH_MS; the calibration calls double as warm-up. */
function calibrate(engine: LoadedEngine, order: CallOrder): number {
  let batch = 256;
  for (let from = 0; ; from += batch, batch *= 2) {
    const t = performance.now();
    engine.run(order, from, batch);
    if (performance.now() - t >= BATCH_MS || batch >= 1 << 24) return batch;
  }
}

function slice(engine: LoadedEngine, order: CallOrder, batch: number, seconds: number, from: number) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let calls = 0;
  let on = 0;
  let now = start;
  while (now < deadline) {
    on += engine.run(order, from + calls, batch);
    calls += batch;
    now = performance.now();
  }
  return { calls, on, seconds: (now - start) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs every engine for `seconds` in all, split into `rounds` slices taken in turns, and reports
 * each engine's median. Taking turns spreads any burst of load elsewhere on the machine over all
 * engines instead of one, which keeps the ratios steady; the median drops the odd disturbed slice.
 * No forced gc() between slices: a full collection shrinks the young generation, and the engines
 * that allocate per call then ran up to twice as slow, which is not how they run in production.
 */
export function timeInTurns(
  engines: readonly LoadedEngine[],
  order: CallOrder,
  options: { seconds: number; warmupSeconds: number; rounds: number },
): Throughput[] {
  const batches = engines.map((engine) => {
    const batch = calibrate(engine, order);
    slice(engine, order, batch, options.warmupSeconds, 0);
    return batch;
  });
  const results = engines.map(() => ({ rates: [] as number[], calls: 0, on: 0 }));
  for (let round = 0; round < options.rounds; round++) {
    engines.forEach((engine, i) => {
      const r = results[i];
      if (!r) return;
      const s = slice(engine, order, batches[i] ?? 1, options.seconds / options.rounds, r.calls);
      r.rates.push(s.calls / s.seconds);
      r.calls += s.calls;
      r.on += s.on;
    });
  }
  return results.map((r) => ({ opsPerSecond: median(r.rates), calls: r.calls, on: r.on }));
}

function collect(): void {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the heap measurement needs --expose-gc (pnpm bench:eval passes it)');
  // Twice: the first pass can leave objects whose finalizers only release more on the next one.
  gc();
  gc();
}

/** Bytes of heap that `build` leaves reachable from what it returns. */
export async function retainedHeap(build: () => Promise<Closable>): Promise<number> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const held = await build();
  collect();
  const after = process.memoryUsage().heapUsed;
  held.close();
  return after - before;
}
