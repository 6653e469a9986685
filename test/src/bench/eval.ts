import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Engine, LoadedEngine } from './engines/engine.ts';
import { flagdCore } from './engines/flagd-core.ts';
import { growthbook } from './engines/growthbook.ts';
import { switchboard } from './engines/switchboard.ts';
import { unleashClient } from './engines/unleash-client.ts';
import { retainedHeap, timeInTurns } from './measure.ts';
import { formatTable, HEAP_GOAL_BYTES, makeRow, type Report, type Row, SPEEDUP_GOAL } from './report.ts';
import { type Check, checkAnswers } from './sanity.ts';
import { HEAP_FLAG_COUNT, heapFlags, makeCallOrder, makeUsers, SCENARIOS } from './scenarios.ts';

// Usage: pnpm bench:eval [--seconds S] [--warmup S] [--rounds N] [--json]
// Per scenario each engine runs S seconds (default 1) in N turns (default 5), after its warm-up (default 0.3 s).
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '0.3' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const warmupSeconds = Number(args.warmup);
const rounds = Number(args.rounds);
if (!(seconds > 0) || !(warmupSeconds >= 0) || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error('--seconds must be > 0, --warmup >= 0 and --rounds a whole number >= 1');
}

// Peers get their production behaviour: GrowthBook, for one, skips its dev logging then.
process.env.NODE_ENV ??= 'production';

const ENGINES: readonly Engine[] = [switchboard, unleashClient, growthbook, flagdCore];
const warnings: string[] = [];
// Progress goes to stderr and only to a terminal, so stdout stays the table or the JSON alone.
const progress = (message: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
};

const loadAtStart = loadavg();
const users = makeUsers();
const rows: Row[] = [];
for (const scenario of SCENARIOS) {
  const order = makeCallOrder(scenario.flags.length);
  progress(`${scenario.id}: loading and checking`);
  const loaded: LoadedEngine[] = [];
  const checks: Check[] = [];
  for (const engine of ENGINES) {
    const l = await engine.prepare(scenario.flags, users);
    const check = checkAnswers(l, scenario, users, order);
    if (check.problem !== null) warnings.push(`${engine.name} in ${scenario.id}: ${check.problem}`);
    loaded.push(l);
    checks.push(check);
  }
  progress(`${scenario.id}: timing`);
  const results = timeInTurns(loaded, order, { seconds, warmupSeconds, rounds });
  for (const l of loaded) l.close();
  const opsPerSecond: Record<string, number> = {};
  ENGINES.forEach((engine, i) => {
    const result = results[i];
    const check = checks[i];
    if (!result || !check) return;
    opsPerSecond[engine.name] = result.opsPerSecond;
    // The timed calls cycle through the same order, so their share of trues must match the check's.
    const share = result.on / result.calls;
    if (Math.abs(share - check.onShare) > 0.05) {
      warnings.push(
        `${engine.name} in ${scenario.id}: ${(100 * share).toFixed(1)}% on while timed, ${(100 * check.onShare).toFixed(1)}% when checked`,
      );
    }
  });
  rows.push(makeRow(scenario.id, scenario.title, 'ops/s', opsPerSecond));
}

const heapSpecs = heapFlags();
const warmSpecs = heapSpecs.slice(0, 100);
const heap: Record<string, number> = {};
for (const engine of ENGINES) {
  progress(`heap ${engine.name}`);
  // A small load first, so code compiled on first use is not counted as flag data.
  (await engine.load(warmSpecs)).close();
  heap[engine.name] = await retainedHeap(() => engine.load(heapSpecs));
}
rows.push(makeRow('heap', `${HEAP_FLAG_COUNT.toLocaleString('en-US')} type-C flags`, 'bytes', heap));

const report: Report = {
  node: process.version,
  seconds,
  warmupSeconds,
  rounds,
  goal: { speedup: SPEEDUP_GOAL, heapBytes: HEAP_GOAL_BYTES },
  engines: ENGINES.map((e) => e.name),
  rows,
  warnings,
  loadAverage: { start: loadAtStart, end: loadavg() },
};
console.log(args.json ? JSON.stringify(report, null, 2) : formatTable(report));
