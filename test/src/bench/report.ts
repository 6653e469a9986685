export const OURS = 'switchboard';
/** Issue 19: at least 4x the fastest peer in every scenario, and a heap below every peer's (3.5 MiB). */
export const SPEEDUP_GOAL = 4;
export const HEAP_GOAL_BYTES = 3.5 * 1024 * 1024;

export interface Row {
  scenario: string;
  title: string;
  unit: 'ops/s' | 'bytes';
  /** Keyed by engine name. */
  values: Record<string, number>;
  /** The fastest peer for throughput, the smallest for heap. */
  bestPeer: { engine: string; value: number };
  /** Ours over the best peer: higher is better for throughput, lower for heap. */
  ratio: number;
  goalMet: boolean;
}

export interface Report {
  node: string;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  goal: { speedup: number; heapBytes: number };
  engines: string[];
  rows: Row[];
  warnings: string[];
  /** os.loadavg() (1, 5 and 15 minutes) at the start and the end of the run: figures from a busy machine are not comparable. */
  loadAverage?: { start: number[]; end: number[] };
}

export function makeRow(scenario: string, title: string, unit: Row['unit'], values: Record<string, number>): Row {
  const ours = values[OURS] ?? Number.NaN;
  const peers = Object.entries(values).filter(([engine]) => engine !== OURS);
  const better = unit === 'bytes' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
  let best = { engine: '', value: Number.NaN };
  for (const [engine, value] of peers) if (best.engine === '' || better(value, best.value)) best = { engine, value };
  const ratio = ours / best.value;
  const goalMet = unit === 'bytes' ? ours <= HEAP_GOAL_BYTES && ratio < 1 : ratio >= SPEEDUP_GOAL;
  // Whole ops and bytes, and a ratio to three places: more digits would only be noise.
  const rounded = Object.fromEntries(Object.entries(values).map(([engine, value]) => [engine, Math.round(value)]));
  return {
    scenario,
    title,
    unit,
    values: rounded,
    bestPeer: { engine: best.engine, value: Math.round(best.value) },
    ratio: Math.round(ratio * 1000) / 1000,
    goalMet,
  };
}

function formatValue(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'bytes') return `${(value / 1024 / 1024).toFixed(2)} MiB`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M/s`;
  return `${(value / 1e3).toFixed(0)} k/s`;
}

export function formatTable(report: Report): string {
  const header = ['scenario', ...report.engines, 'fastest peer', 'ratio', 'goal met'];
  const body = report.rows.map((r) => [
    `${r.scenario}  ${r.title}`,
    ...report.engines.map((e) => formatValue(r.values[e] ?? Number.NaN, r.unit)),
    `${formatValue(r.bestPeer.value, r.unit)} (${r.bestPeer.engine})`,
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : 'n/a',
    r.goalMet ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  // The scenario column reads left-aligned; figures right-aligned so their digits line up.
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const lines = [
    `Switchboard local evaluation, node ${report.node}, one thread: per scenario each engine runs ${report.seconds} s in ${report.rounds} turns`,
    `(median reported), after ${report.warmupSeconds} s of warm-up`,
    `goal: at least ${report.goal.speedup}x the fastest peer in every scenario, and at most ${formatValue(report.goal.heapBytes, 'bytes')} of heap (and less than any peer) in the heap row`,
    '',
    line(header),
    rule,
    ...body.map(line),
    '',
    'heap row: "fastest peer" is the peer with the smallest heap, and a ratio below 1 is better.',
  ];
  if (report.loadAverage) {
    const f = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    lines.push(`load average (1, 5, 15 min): ${f(report.loadAverage.start)} at the start, ${f(report.loadAverage.end)} at the end`);
  }
  for (const w of report.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

/**
 * A plain table for any benchmark's figures: the first column left-aligned, the others
 * right-aligned so their digits line up, a rule under the header.
 */
export function formatColumns(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
