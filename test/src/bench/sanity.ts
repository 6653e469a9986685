import type { LoadedEngine } from './engines/engine.ts';
import { CALL_MASK, type CallOrder, type Scenario, targeted, type User } from './scenarios.ts';

/** 20,000 calls put the standard error of a 30% share near 0.3 points; 3 points is then far out. */
const CALLS = 20_000;
const TOLERANCE_POINTS = 3;

export interface Check {
  /** Share of the checked calls that were on. */
  onShare: number;
  /** What looks wrong, if anything. */
  problem: string | null;
}

/**
 * Checks an engine's answers before it is timed, so a fast wrong answer can't win: nobody outside
 * the targeting may get the flag, and the share of targeted users who do must match the rollout.
 */
export function checkAnswers(engine: LoadedEngine, scenario: Scenario, users: readonly User[], order: CallOrder): Check {
  let targetedCalls = 0;
  let targetedOn = 0;
  let leaked = 0;
  let expectedPercent = 0;
  for (let i = 0; i < CALLS; i++) {
    const j = i & CALL_MASK;
    const flagIndex = order.flags[j] as number;
    const userIndex = order.users[j] as number;
    const flag = scenario.flags[flagIndex];
    const user = users[userIndex];
    if (!flag || !user) throw new Error(`call ${i} points past the scenario's flags or users`);
    const on = engine.isOn(flagIndex, userIndex);
    if (!targeted(flag, user)) {
      if (on) leaked++;
      continue;
    }
    targetedCalls++;
    if (on) targetedOn++;
    expectedPercent += flag.rollout ?? 100;
  }
  const problems: string[] = [];
  if (leaked > 0) problems.push(`${leaked} calls on for users outside the targeting`);
  if (targetedCalls === 0) problems.push('no call hit a targeted user');
  else {
    const percent = (100 * targetedOn) / targetedCalls;
    const expected = expectedPercent / targetedCalls;
    if (Math.abs(percent - expected) > TOLERANCE_POINTS) {
      problems.push(`${percent.toFixed(1)}% of targeted calls on, expected ${expected.toFixed(1)}%`);
    }
  }
  return { onShare: (targetedOn + leaked) / CALLS, problem: problems.length === 0 ? null : problems.join('; ') };
}
