import type { Context, FlagConfig, Rule, SnapshotPayload } from '@switchboard/core';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import type { LoadedEngine } from '../bench/engines/engine.ts';
import { switchboard } from '../bench/engines/switchboard.ts';
import { timeInTurns } from '../bench/measure.ts';
import { formatColumns } from '../bench/report.ts';
import { CALL_MASK, type CallOrder, type FlagSpec, makeCallOrder, makeUsers, SCENARIOS, type User } from '../bench/scenarios.ts';

// Usage: node --import tsx test/src/sdk-node/bench-sdk-node.ts [seconds per scenario, default 3]
// Evaluations per second through `client.isEnabled` (usage counting on, as in production) against
// core's own `evaluate` on the same flags; the goal is at least 80% of core.
const GOAL = 0.8;
// 3 s, not 1: scenario D reads 10,000 users and 1,000 flags at random, bound by memory; at 1 s a
// quiet machine read D at 87% and then 69% in two runs in a row, at 3 s 88% and 92%.
const seconds = Number(process.argv[2] ?? '3');
// Turns of 40 ms, not five turns of 200 ms: on a shared 2-core machine the speed swings up to 2x
// for a few hundred ms at a time, so a swing could fall on one engine's turns only (core timed
// against itself read anywhere from 79% to 187% that way). Short turns give both engines the same
// mix of fast and slow spells; the figures are still each engine's median rate.
const rounds = Math.max(5, Math.round(seconds / 0.04));

function toFlag(spec: FlagSpec): FlagConfig {
  const conditions: NonNullable<Rule['conditions']> = [];
  if (spec.countries) conditions.push({ attribute: 'country', operator: 'IN', values: [...spec.countries] });
  if (spec.excludedPlans) conditions.push({ attribute: 'plan', operator: 'NOT_IN', values: [...spec.excludedPlans] });
  if (conditions.length === 0 && spec.rollout === undefined) return { key: spec.key, enabled: true };
  const rule: Rule = { id: 'rule-1' };
  if (conditions.length > 0) rule.conditions = conditions;
  if (spec.rollout !== undefined) rule.rollout = { percentage: spec.rollout, stickiness: 'userId' };
  return { key: spec.key, enabled: true, rules: [rule] };
}

/** A fetch that never connects (until aborted): the client is online, counting usage, but quiet. */
const nowhere: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

function sdkNode(flags: readonly FlagSpec[], users: readonly User[]): LoadedEngine & { client: SwitchboardClient } {
  const snapshot: SnapshotPayload = { environment: 'bench', revision: 1, flags: flags.map(toFlag) };
  const client = createClient({
    url: 'http://127.0.0.1:9',
    sdkKey: 'sbs_bench',
    bootstrap: snapshot,
    fetch: nowhere,
    requestTimeoutMs: 3_600_000,
    metrics: process.env.NO_METRICS !== '1',
    logger: { warn: () => {}, error: () => {} },
  });
  const keys = flags.map((f) => f.key);
  const contexts: Context[] = users.map((u) => ({ userId: u.userId, properties: { country: u.country, plan: u.plan } }));
  return {
    client,
    isOn: (f, u) => client.isEnabled(keys[f] as string, contexts[u] as Context),
    run(order: CallOrder, from: number, count: number): number {
      const flagOrder = order.flags;
      const userOrder = order.users;
      let on = 0;
      for (let i = from, end = from + count; i < end; i++) {
        const j = i & CALL_MASK;
        if (client.isEnabled(keys[flagOrder[j] as number] as string, contexts[userOrder[j] as number] as Context)) on++;
      }
      return on;
    },
    close() {
      void client.close();
    },
  };
}

// Progress goes to stderr and only to a terminal, so stdout stays the table alone.
function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
}

const users = makeUsers();
let worst = Number.POSITIVE_INFINITY;
// The table is written once every row is known: its columns are as wide as the longest title.
const rows: string[][] = [];
for (const scenario of SCENARIOS) {
  progress(`${scenario.id} ${scenario.title}…`);
  const order = makeCallOrder(scenario.flags.length);
  const core = await switchboard.prepare(scenario.flags, users);
  const sdk = sdkNode(scenario.flags, users);
  for (let u = 0; u < 200; u++) {
    for (let f = 0; f < scenario.flags.length; f += 97) {
      if (core.isOn(f, u) !== sdk.isOn(f, u)) throw new Error(`${scenario.id}: the SDK and core disagree on flag ${f}, user ${u}`);
    }
  }
  const [c, s] = timeInTurns([core, sdk], order, { seconds, warmupSeconds: 0.3, rounds });
  core.close();
  await sdk.client.close();
  const ratio = (s?.opsPerSecond ?? 0) / (c?.opsPerSecond ?? 1);
  worst = Math.min(worst, ratio);
  rows.push([
    `${scenario.id}  ${scenario.title}`,
    Math.round(c?.opsPerSecond ?? 0).toLocaleString('en-US'),
    Math.round(s?.opsPerSecond ?? 0).toLocaleString('en-US'),
    `${(100 * ratio).toFixed(0)}%`,
  ]);
}
console.log(formatColumns(['scenario', 'core ops/s', 'sdk-node ops/s', 'sdk/core'], rows));
console.log(
  worst >= GOAL ? `ok: every scenario at least ${GOAL * 100}% of core` : `BELOW GOAL: worst ${(100 * worst).toFixed(0)}% < ${GOAL * 100}%`,
);
process.exitCode = worst >= GOAL ? 0 : 1;
