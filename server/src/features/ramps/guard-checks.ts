import type { Actor } from '../../domain/actor.ts';
import { type ChangeDeps, type ChangeTx, runChange } from '../../domain/changes.ts';
import { NotFoundError } from '../../errors.ts';
import { describeHarm, evaluateMetricGuard, type GuardEvaluation } from './guard-evaluator.ts';
import { claimRunningRamp, runningMetricGuardedRamps } from './guard-store.ts';
import { RampState, rampView, setPercentage } from './service.ts';
import { findRamp, type RampRow, updateRamp } from './store.ts';

/** The evaluation as the audit entry and webhook carry it (the series stays behind the read endpoint). */
function summary(e: GuardEvaluation) {
  const { series: _series, ...rest } = e;
  return rest;
}

/**
 * One scheduler pass over running plans with a metric guard, each in its own transaction: claimed
 * with SKIP LOCKED (a replica checking the same plan skips it), evaluated, and on harm paused or
 * rolled back in that same transaction, with the estimate and interval in the audit entry (and so
 * in the `ramp.paused` / `ramp.rolled_back` webhook). A plan whose check fails is logged and checked
 * again at the next pass; it does not stop the others.
 */
export async function checkRampGuards(deps: ChangeDeps, actor: Actor, now: Date, onError: (err: unknown) => void): Promise<number> {
  let tripped = 0;
  for (const id of await runningMetricGuardedRamps(deps.db)) {
    try {
      const hit = await runChange(deps, actor, async (c) => {
        const row = await claimRunningRamp(c.tx, id);
        return row ? tripIfHarmed(c, row, now) : false;
      });
      if (hit) tripped++;
    } catch (err) {
      onError(err);
    }
  }
  return tripped;
}

/**
 * Evaluates a locked, running plan's metric guard and, on harm, pauses or rolls it back in the
 * caller's transaction; true when it did. Also run by `advanceDueRamps` right before a step, in the
 * step's own transaction: a step never advances past a check that failed or found harm.
 */
export async function tripIfHarmed(c: ChangeTx, row: RampRow, now: Date): Promise<boolean> {
  const guard = row.guard;
  if (guard?.kind !== 'metric') return false;
  const evaluation = await evaluateMetricGuard(c.tx, row, guard, now);
  if (evaluation.decision !== 'harm') return false;
  const reason = describeHarm(evaluation);
  if (guard.action === 'rollback') await setPercentage(c, row, row.previousPercentage ?? null, 'ramp.rolled_back');
  const after = await updateRamp(c.tx, row.id, {
    state: guard.action === 'rollback' ? RampState.RolledBack : RampState.Paused,
    nextStepAt: null,
    reason,
  });
  await c.audit({
    action: guard.action === 'rollback' ? 'ramp.rolled_back' : 'ramp.paused',
    resourceType: 'ramp',
    resourceKey: row.id,
    environmentKey: row.environmentKey,
    before: rampView(row),
    after: { ...rampView(after), guardResult: summary(evaluation) },
  });
  return true;
}

/** `GET /ramps/:id/guard`: the guard's current evaluation, per metric (one today), with its series. */
export async function rampGuardView(deps: ChangeDeps, id: string, now: Date) {
  const row = await findRamp(deps.db, id);
  if (!row) throw new NotFoundError(`Ramp ${id}`);
  const guard = row.guard;
  const metrics = guard?.kind === 'metric' ? [await evaluateMetricGuard(deps.db, row, guard, now)] : [];
  return { ramp: rampView(row), metrics };
}
