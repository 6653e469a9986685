import type { Rule } from '@switchboard/core';
import { type GroupCounts, GuardDecision, guardTest } from '@switchboard/core/stats';
import type { Database } from '../../db/client.ts';
import type { MetricGuard } from '../../db/schema/index.ts';
import { ValidationError } from '../../errors.ts';
import { type ConfigVersion, metricCountsByRule, rampStartedAt, versionsOver } from './guard-store.ts';
import type { RampRow } from './store.ts';

/**
 * A metric guard's view of a ramp: who is compared with whom, and what the test says.
 *
 * Treatment: events attributed to the ramped rule's result (its rule id, whatever variant).
 * Control: events attributed to results decided after it (a later rule, or no rule: the flag's
 * fall-through), which is where the rule's not-rolled-out bucket lands. Results of rules before the
 * ramped one are left out: those users never reach it. For the split between the two to be the
 * rollout percentage, everyone who reaches the rule must be in its rollout draw, so a metric guard
 * needs a rule without conditions or segments (checked when the plan is made).
 *
 * The allocation of each minute is the rule's percentage in force (from the flag's config versions).
 * Events are counted in the minute of the usage report that carried them, which may be up to the
 * SDKs' report interval (a minute by default) after they happened, and traffic need not be even
 * within a minute. So in a minute where the percentage changed, or the minute before it did, the
 * share is not known exactly: the guard takes, of the shares in force over that span, the one that
 * makes the new result look least harmful (the highest when lower is better: the most treatment
 * events are expected). The test stays valid (it can only err towards no harm there) and loses a
 * little power around each step; when higher is better and the plan starts from 0%, the first
 * minutes say nothing. The window starts with the minute the plan was (last) started in and ends
 * now, or when the plan ended.
 */

const MINUTE = 60_000;

export function checkMetricGuardRule(rule: Rule, guard: MetricGuard): void {
  const problems: Array<{ path: string; message: string }> = [];
  if ((rule.conditions?.length ?? 0) > 0 || (rule.segments?.length ?? 0) > 0) {
    problems.push({
      path: '/ruleId',
      message: 'a metric guard compares the rule rolled out with its not-rolled-out bucket: the rule must have no conditions or segments',
    });
  }
  if (guard.direction === 'higher_is_better' && guard.minEffect >= 1) {
    problems.push({ path: '/guard/minEffect', message: 'when higher is better, a relative drop is below 1 (1 would be all of it)' });
  }
  if (problems.length > 0) throw new ValidationError('The metric guard cannot watch this rule', problems);
}

/** The share of traffic reaching the rule that gets its result in one config version. */
export function shareOf(version: Pick<ConfigVersion, 'enabled' | 'config'>, ruleId: string): number {
  if (!version.enabled) return 0;
  const rule = (version.config.rules ?? []).find((r) => r.id === ruleId);
  if (!rule) return 0;
  const pct = rule.rollout ? Number(rule.rollout.percentage) : 100;
  return Number.isFinite(pct) ? Math.min(1, Math.max(0, pct / 100)) : 0;
}

/**
 * The shares in force at any time in [from, to), as [lowest, highest] (the versions oldest first, the
 * first in force at or before `from`). Before the first version the rule did not exist: share 0.
 */
export function shareRange(changes: ReadonlyArray<{ at: number; share: number }>, from: number, to: number): [number, number] {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  if (!(changes[0] && changes[0].at <= from)) {
    low = 0;
    high = 0;
  }
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (!c) continue;
    const end = changes[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    if (c.at < to && end > from) {
      low = Math.min(low, c.share);
      high = Math.max(high, c.share);
    }
  }
  return Number.isFinite(low) ? [low, high] : [0, 0];
}

/** How late a minute's events may have happened before it: the SDKs' default report interval. */
const REPORT_DELAY_MS = 60_000;

export interface GuardPoint {
  minute: string;
  /** Share of the traffic reaching the rule that had the new result (the guard's conservative pick). */
  share: number;
  treatment: number;
  control: number;
}

export interface GuardEvaluation {
  metric: string;
  direction: MetricGuard['direction'];
  minEffect: number;
  action: MetricGuard['action'];
  alpha: number;
  /** When the compared window starts (the plan's start); null before it started. */
  since: string | null;
  until: string;
  decision: GuardDecision;
  estimate: number | null;
  interval: { lower: number | null; upper: number | null } | null;
  treatmentEvents: number;
  controlEvents: number;
  series: GuardPoint[];
}

export const GUARD_ALPHA = 0.05;

const ENDED = new Set(['completed', 'aborted', 'rolled_back']);

export async function evaluateMetricGuard(db: Database, row: RampRow, guard: MetricGuard, now: Date): Promise<GuardEvaluation> {
  const until = ENDED.has(row.state) ? row.updatedAt : now;
  const base = {
    metric: guard.metric,
    direction: guard.direction,
    minEffect: guard.minEffect,
    action: guard.action,
    alpha: GUARD_ALPHA,
    until: until.toISOString(),
  };
  const started = row.state === 'pending' ? null : await rampStartedAt(db, row.id);
  if (!started) {
    return {
      ...base,
      since: null,
      decision: GuardDecision.NoData,
      estimate: null,
      interval: null,
      treatmentEvents: 0,
      controlEvents: 0,
      series: [],
    };
  }
  const versions = await versionsOver(db, row.flagKey, row.environmentKey, started, until);
  const changes = versions.map((v) => ({ at: v.createdAt.getTime(), share: shareOf(v, row.ruleId) }));
  // Rules ahead of the ramped one (in the latest version) catch their users before it: not compared.
  const latestRules = versions.at(-1)?.config.rules ?? [];
  const index = latestRules.findIndex((r) => r.id === row.ruleId);
  const ahead = new Set(index < 0 ? [] : latestRules.slice(0, index).map((r) => r.id));
  const first = Math.floor(started.getTime() / MINUTE) * MINUTE;
  const rows = await metricCountsByRule(db, {
    flag: row.flagKey,
    environment: row.environmentKey,
    metric: guard.metric,
    from: new Date(first),
    to: new Date(until.getTime() + 1),
  });
  const byMinute = new Map<number, { treatment: number; control: number }>();
  for (const r of rows) {
    const m = r.minute.getTime();
    let point = byMinute.get(m);
    if (!point) {
      point = { treatment: 0, control: 0 };
      byMinute.set(m, point);
    }
    if (r.ruleId === row.ruleId) point.treatment += Number(r.count);
    else if (!ahead.has(r.ruleId)) point.control += Number(r.count);
  }
  const series: GuardPoint[] = [];
  const counts: GroupCounts[] = [];
  for (const [m, point] of [...byMinute].sort((a, b) => a[0] - b[0])) {
    const [low, high] = shareRange(changes, m - REPORT_DELAY_MS, m + MINUTE);
    // Where the share changed, the one that makes the new result look least harmful.
    const share = guard.direction === 'lower_is_better' ? high : low;
    series.push({ minute: new Date(m).toISOString(), share, ...point });
    counts.push({ share, ...point });
  }
  const result = guardTest(counts, { direction: guard.direction, minEffect: guard.minEffect, alpha: GUARD_ALPHA });
  return { ...base, since: started.toISOString(), ...result, series };
}

const percent = (v: number | null) => (v === null ? 'unbounded' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);

/** The words of a tripped guard, for the plan's `reason` and the audit entry. */
export function describeHarm(e: GuardEvaluation): string {
  const interval = e.interval ? `${percent(e.interval.lower)} to ${percent(e.interval.upper)}` : 'none';
  return `guard: ${e.metric} ${percent(e.estimate)} against control (${(1 - e.alpha) * 100}% always-valid interval ${interval}; ${
    e.direction === 'lower_is_better' ? 'lower' : 'higher'
  } is better, smallest change that matters ${percent(e.minEffect)}; ${e.treatmentEvents} events with the new result, ${e.controlEvents} without)`;
}
