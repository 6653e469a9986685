import type { Rollout, Rule } from '@switchboard/core';
import type { RampGuard, RampStep, ThresholdGuard } from '../../db/schema/index.ts';
import { type Actor, actorRef } from '../../domain/actor.ts';
import { whyAuthorMayNotAct } from '../../domain/author-check.ts';
import { type ChangeDeps, type ChangeTx, lockEnvironment, runChange } from '../../domain/changes.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { patchFlagEnvironment } from '../flags/service.ts';
import { findFlag, findFlagEnvironment } from '../flags/store.ts';
import { activeFreeze } from '../freeze-windows/service.ts';
import { checkMetricGuardRule } from './guard-evaluator.ts';
import { claimDueRamps, findRamp, insertRamp, liveRampOnRule, lockRamp, type RampRow, updateRamp } from './store.ts';
import { rampView } from './view.ts';

export { rampView };

/**
 * Ramp plans move one rule's rollout through ordered steps (1% -> 5% -> 25% ...). Bucketing is
 * monotonic, so everyone in at one step stays in at the next: a plan never reshuffles users. Every
 * step is an ordinary versioned change of the flag (audit row, revision, stream patch).
 */

export const RampState = {
  Pending: 'pending',
  Running: 'running',
  Paused: 'paused',
  Completed: 'completed',
  Aborted: 'aborted',
  RolledBack: 'rolled_back',
} as const;
export type RampState = (typeof RampState)[keyof typeof RampState];

async function ruleOf(c: ChangeTx, flag: string, environment: string, ruleId: string): Promise<Rule> {
  const fe = await findFlagEnvironment(c.tx, flag, environment);
  if (!fe) throw new NotFoundError(`Flag ${flag} in ${environment}`);
  const rule = (fe.config.rules ?? []).find((r) => r.id === ruleId);
  if (!rule) throw new NotFoundError(`Rule ${ruleId} of flag ${flag} in ${environment}`);
  return rule;
}

/** Sets the rule's rollout percentage (null removes the rollout) as a normal change of the flag. */
export async function setPercentage(c: ChangeTx, row: RampRow, percentage: number | null, action: string): Promise<void> {
  const fe = await findFlagEnvironment(c.tx, row.flagKey, row.environmentKey);
  if (!fe) throw new NotFoundError(`Flag ${row.flagKey} in ${row.environmentKey}`);
  let found = false;
  const rules = (fe.config.rules ?? []).map((r) => {
    if (r.id !== row.ruleId) return r;
    found = true;
    const { rollout, ...rest } = r;
    if (percentage === null) return rest;
    const next: Rollout = { ...rollout, percentage };
    return { ...rest, rollout: next };
  });
  if (!found) throw new NotFoundError(`Rule ${row.ruleId} of flag ${row.flagKey} in ${row.environmentKey}`);
  await patchFlagEnvironment(c, row.flagKey, row.environmentKey, undefined, { rules }, action);
}

function validateSteps(steps: RampStep[]): void {
  const problems: Array<{ path: string; message: string }> = [];
  steps.forEach((s, i) => {
    if (!(s.percentage > 0 && s.percentage <= 100) || Math.abs(Math.round(s.percentage * 100) - s.percentage * 100) > 1e-6) {
      problems.push({ path: `/steps/${i}/percentage`, message: 'a step is above 0 and at most 100, in 0.01 steps' });
    }
    const before = steps[i - 1];
    if (before && s.percentage <= before.percentage) {
      problems.push({ path: `/steps/${i}/percentage`, message: 'steps only go up: a plan never takes anyone back out' });
    }
  });
  if (problems.length > 0) throw new ValidationError('The ramp steps are invalid', problems);
}

export interface RampInput {
  flag: string;
  environment: string;
  ruleId: string;
  steps: RampStep[];
  guard?: RampGuard | undefined;
}

export async function createRamp(deps: ChangeDeps, actor: Actor, input: RampInput) {
  return runChange(deps, actor, async (c) => {
    validateSteps(input.steps);
    // One live plan per rule: the environment lock makes the check below hold until commit.
    await lockEnvironment(c.tx, input.environment);
    // Archiving takes every environment's lock, so this holds until commit: no plan lands on an
    // archived flag (where it could never step) after the archive ended the flag's others.
    if ((await findFlag(c.tx, input.flag))?.archivedAt)
      throw new ConflictError(`Flag ${input.flag} is archived; restore it before planning a ramp`);
    const rule = await ruleOf(c, input.flag, input.environment, input.ruleId);
    if (input.guard?.kind === 'metric') checkMetricGuardRule(rule, input.guard);
    const live = await liveRampOnRule(c.tx, input.flag, input.environment, input.ruleId);
    if (live) throw new ConflictError(`Rule ${input.ruleId} already has a ${live.state} ramp (${live.id})`, { ramp: live.id });
    const row = await insertRamp(c.tx, {
      flagKey: input.flag,
      environmentKey: input.environment,
      ruleId: input.ruleId,
      steps: input.steps,
      guard: input.guard ?? null,
      createdBy: actor.name,
      authorRef: actorRef(actor),
    });
    await c.audit({
      action: 'ramp.created',
      resourceType: 'ramp',
      resourceKey: row.id,
      environmentKey: row.environmentKey,
      after: rampView(row),
    });
    return rampView(row);
  });
}

async function lockedRamp(c: ChangeTx, id: string): Promise<RampRow> {
  const row = await lockRamp(c.tx, id);
  if (!row) throw new NotFoundError(`Ramp ${id}`);
  return row;
}

function requireState(row: RampRow, allowed: readonly string[], verb: string): void {
  if (!allowed.includes(row.state)) throw new ConflictError(`Cannot ${verb} a ${row.state} ramp`, { state: row.state });
}

/** Applies step `index` and schedules the next; past the last step's hold the plan completes. */
async function enterStep(c: ChangeTx, row: RampRow, index: number, now: Date): Promise<RampRow> {
  const step = row.steps[index];
  if (!step) return updateRamp(c.tx, row.id, { state: RampState.Completed, nextStepAt: null, reason: null });
  await setPercentage(c, row, step.percentage, 'ramp.step');
  return updateRamp(c.tx, row.id, {
    state: RampState.Running,
    currentStep: index,
    nextStepAt: new Date(now.getTime() + step.holdSeconds * 1000),
    reason: null,
  });
}

async function transition(deps: ChangeDeps, actor: Actor, id: string, action: string, fn: (c: ChangeTx, row: RampRow) => Promise<RampRow>) {
  return runChange(deps, actor, async (c) => {
    const before = await lockedRamp(c, id);
    const after = await fn(c, before);
    await c.audit({
      action,
      resourceType: 'ramp',
      resourceKey: id,
      environmentKey: after.environmentKey,
      before: rampView(before),
      after: rampView(after),
    });
    return rampView(after);
  });
}

export function startRamp(deps: ChangeDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, 'ramp.started', async (c, row) => {
    requireState(row, [RampState.Pending], 'start');
    const rule = await ruleOf(c, row.flagKey, row.environmentKey, row.ruleId);
    // A plan only ever adds users: starting below where the rule stands would take some out, and
    // rolling back would then put them back in. A rule without a rollout is at 100%.
    const current = rule.rollout ? rule.rollout.percentage : 100;
    const first = row.steps[0]?.percentage ?? 0;
    if (first <= current) {
      throw new ConflictError(`The rule is at ${current}% already; a plan must start above that (its first step is ${first}%)`, {
        current,
        first,
      });
    }
    // Whoever starts (or resumes) a plan answers for its next steps: the scheduler re-checks them.
    const started = await updateRamp(c.tx, row.id, {
      previousPercentage: rule.rollout ? rule.rollout.percentage : null,
      authorRef: actorRef(actor),
    });
    return enterStep(c, started, 0, new Date());
  });
}

export function pauseRamp(deps: ChangeDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, 'ramp.paused', async (c, row) => {
    requireState(row, [RampState.Running], 'pause');
    return updateRamp(c.tx, row.id, { state: RampState.Paused, nextStepAt: null, reason: `paused by ${actor.name}` });
  });
}

/** Resuming holds the current step for its full time again before moving on. */
export function resumeRamp(deps: ChangeDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, 'ramp.resumed', async (c, row) => {
    requireState(row, [RampState.Paused], 'resume');
    const hold = row.steps[row.currentStep]?.holdSeconds ?? 0;
    return updateRamp(c.tx, row.id, {
      state: RampState.Running,
      nextStepAt: new Date(Date.now() + hold * 1000),
      reason: null,
      authorRef: actorRef(actor),
    });
  });
}

/** Back to the percentage before the plan (or to 0), and the plan ends. */
export function abortRamp(deps: ChangeDeps, actor: Actor, id: string, to: 'previous' | 'zero') {
  return transition(deps, actor, id, 'ramp.aborted', async (c, row) => {
    requireState(row, [RampState.Pending, RampState.Running, RampState.Paused], 'abort');
    if (row.state !== RampState.Pending) await setPercentage(c, row, to === 'zero' ? 0 : (row.previousPercentage ?? null), 'ramp.aborted');
    return updateRamp(c.tx, row.id, { state: RampState.Aborted, nextStepAt: null, reason: `aborted by ${actor.name} (back to ${to})` });
  });
}

export interface Signal {
  metric: string;
  value: number;
  variant?: string | undefined;
}

function trips(guard: ThresholdGuard, signal: Signal): boolean {
  return guard.metric === signal.metric && (guard.comparator === 'gt' ? signal.value > guard.threshold : signal.value < guard.threshold);
}

/**
 * A metric from experiment tooling. Past the guard's threshold the plan pauses, or rolls back to
 * where it started, by itself, and records why. Signals that trip nothing write nothing.
 */
export async function receiveSignal(deps: ChangeDeps, actor: Actor, id: string, signal: Signal) {
  return runChange(deps, actor, async (c) => {
    const row = await lockedRamp(c, id);
    const guard = row.guard;
    // Metric guards watch tracked events themselves (guard-evaluator.ts); pushed signals trip thresholds.
    if (!guard || guard.kind === 'metric' || (row.state !== RampState.Running && row.state !== RampState.Paused) || !trips(guard, signal)) {
      return { tripped: false, ramp: rampView(row) };
    }
    const reason = `guard: ${signal.metric} ${signal.value} ${guard.comparator === 'gt' ? '>' : '<'} ${guard.threshold}${signal.variant ? ` (variant ${signal.variant})` : ''}`;
    let after: RampRow;
    if (guard.action === 'rollback') {
      await setPercentage(c, row, row.previousPercentage ?? null, 'ramp.rolled_back');
      after = await updateRamp(c.tx, row.id, { state: RampState.RolledBack, nextStepAt: null, reason });
    } else {
      if (row.state === RampState.Paused) return { tripped: true, ramp: rampView(row) };
      after = await updateRamp(c.tx, row.id, { state: RampState.Paused, nextStepAt: null, reason });
    }
    await c.audit({
      action: guard.action === 'rollback' ? 'ramp.rolled_back' : 'ramp.paused',
      resourceType: 'ramp',
      resourceKey: id,
      environmentKey: row.environmentKey,
      before: rampView(row),
      after: { ...rampView(after), signal },
    });
    return { tripped: true, ramp: rampView(after) };
  });
}

/**
 * One scheduler pass over due steps; each plan advances in its own transaction, exactly once. A
 * step that cannot apply (its rule was deleted, say) pauses the plan with the reason, rather than
 * failing again on every pass.
 */
export async function advanceDueRamps(
  deps: ChangeDeps,
  actor: Actor,
  now: Date,
  /** Runs before each step in its transaction; true when it settled the plan instead (a guard tripped). */
  beforeStep?: (c: ChangeTx, row: RampRow, now: Date) => Promise<boolean>,
): Promise<number> {
  let advanced = 0;
  for (;;) {
    let claimed: string | undefined;
    try {
      const moved = await runChange(deps, actor, async (c) => {
        const [row] = await claimDueRamps(c.tx, now, 1);
        if (!row) return false;
        claimed = row.id;
        // A disabled or demoted author's plan pauses with the reason; someone who may resumes it.
        const refused = await whyAuthorMayNotAct(c.tx, row.authorRef, now);
        if (refused) throw new ForbiddenError(`Not applied: ${refused}`);
        if (await beforeStep?.(c, row, now)) return true;
        // A freeze holds the plan whatever the window's mode: ramps pause during a window and resume
        // after it (issue 17). `refuse` is about people's writes and scheduled changes; a ramp is
        // neither refused nor left paused for someone to remember to resume.
        const deferTo = (await activeFreeze(c.tx, row.environmentKey, now))?.end;
        const after = deferTo ? await updateRamp(c.tx, row.id, { nextStepAt: deferTo }) : await enterStep(c, row, row.currentStep + 1, now);
        await c.audit({
          action: deferTo ? 'ramp.deferred' : after.state === RampState.Completed ? 'ramp.completed' : 'ramp.advanced',
          resourceType: 'ramp',
          resourceKey: row.id,
          environmentKey: row.environmentKey,
          before: rampView(row),
          after: rampView(after),
        });
        return true;
      });
      if (!moved) return advanced;
      advanced++;
    } catch (err) {
      if (claimed === undefined) throw err;
      const failed = claimed;
      await transition(deps, actor, failed, 'ramp.paused', (c, row) =>
        updateRamp(c.tx, row.id, {
          state: RampState.Paused,
          nextStepAt: null,
          reason: `step failed: ${err instanceof Error ? err.message : String(err)}`,
        }),
      );
    }
  }
}

export async function getRamp(deps: ChangeDeps, id: string) {
  const row = await findRamp(deps.db, id);
  if (!row) throw new NotFoundError(`Ramp ${id}`);
  return rampView(row);
}
