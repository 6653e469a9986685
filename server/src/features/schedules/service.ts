import type { ScheduledPatch } from '../../db/schema/index.ts';
import { type Actor, actorRef, Role } from '../../domain/actor.ts';
import { whyAuthorMayNotAct } from '../../domain/author-check.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { checkFlagEnvironmentPatch, type FlagEnvironmentPatch, patchFlagEnvironment } from '../flags/service.ts';
import { freezeDeferral } from '../freeze-windows/service.ts';
import { claimDueSchedule, insertSchedule, lockSchedule, type ScheduleRow, setScheduleState } from './store.ts';
import { scheduleView } from './view.ts';

export { scheduleView };

/** Stores a change of one environment's config to apply at `runAt` (now or past: at the next pass). */
export async function scheduleChange(
  deps: ChangeDeps,
  actor: Actor,
  flag: string,
  environment: string,
  runAt: Date,
  patch: ScheduledPatch,
) {
  return runChange(deps, actor, async (c) => {
    if (Object.keys(patch).length === 0) throw new ValidationError('A scheduled change must change something');
    // Checked now against today's config, so mistakes surface at once; checked again when applied.
    await checkFlagEnvironmentPatch(c, flag, environment, patch as FlagEnvironmentPatch);
    const row = await insertSchedule(c.tx, {
      flagKey: flag,
      environmentKey: environment,
      patch,
      runAt,
      createdBy: actor.name,
      authorRef: actorRef(actor),
    });
    await c.audit({
      action: 'schedule.created',
      resourceType: 'flag',
      resourceKey: flag,
      environmentKey: environment,
      after: scheduleView(row),
    });
    return scheduleView(row);
  });
}

export async function cancelSchedule(deps: ChangeDeps, actor: Actor, id: string) {
  return runChange(deps, actor, async (c) => {
    const before = await lockSchedule(c.tx, id);
    if (!before) throw new NotFoundError(`Scheduled change ${id}`);
    if (before.state !== 'pending') throw new ConflictError(`The change is ${before.state} already`, { state: before.state });
    const after = await setScheduleState(c.tx, id, { state: 'cancelled' });
    await c.audit({
      action: 'schedule.cancelled',
      resourceType: 'flag',
      resourceKey: before.flagKey,
      environmentKey: before.environmentKey,
      before: scheduleView(before),
      after: scheduleView(after),
    });
    return scheduleView(after);
  });
}

/**
 * Applies every due change once, each in its own transaction with a database claim, so several
 * replicas (or a start-up after downtime) never apply one twice. A change that no longer fits the
 * flag (validation fails) is marked failed with the reason, not retried forever.
 */
export async function applyDueSchedules(deps: ChangeDeps, now: Date): Promise<number> {
  let applied = 0;
  for (;;) {
    let claimed: ScheduleRow | undefined;
    try {
      const done = await runChange(deps, schedulerActor(null), async (c) => {
        const row = await claimDueSchedule(c.tx, now);
        if (!row) return false;
        claimed = row;
        c.actor = schedulerActor(row.createdBy);
        // The author may have been disabled or demoted since: then the change fails, with the reason.
        const refused = await whyAuthorMayNotAct(c.tx, row.authorRef, now);
        if (refused) throw new ForbiddenError(`Not applied: ${refused}`);
        // A freeze: a refusing window fails the change (423 as its error); a deferring one moves it to the window's end.
        const deferTo = await freezeDeferral(c.tx, row.environmentKey, now);
        if (deferTo) {
          const after = await setScheduleState(c.tx, row.id, { runAt: deferTo });
          await c.audit({
            action: 'schedule.deferred',
            resourceType: 'flag',
            resourceKey: row.flagKey,
            environmentKey: row.environmentKey,
            before: scheduleView(row),
            after: scheduleView(after),
          });
          return true;
        }
        await patchFlagEnvironment(
          c,
          row.flagKey,
          row.environmentKey,
          undefined,
          row.patch as FlagEnvironmentPatch,
          'flag.scheduled_change',
        );
        await setScheduleState(c.tx, row.id, { state: 'applied', appliedAt: new Date() });
        return true;
      });
      if (!done) return applied;
      applied++;
    } catch (err) {
      if (!claimed) throw err;
      // A refusal (invalid by now, flag gone) is final; a lost race or a database hiccup is not,
      // and the change stays pending for the next pass.
      if (!(err instanceof AppError) || err.statusCode === 412) throw err;
      const failed = claimed;
      await runChange(deps, schedulerActor(failed.createdBy), async (c) => {
        const row = await lockSchedule(c.tx, failed.id);
        if (row?.state !== 'pending') return;
        const after = await setScheduleState(c.tx, row.id, { state: 'failed', error: err instanceof Error ? err.message : String(err) });
        await c.audit({
          action: 'schedule.failed',
          resourceType: 'flag',
          resourceKey: row.flagKey,
          environmentKey: row.environmentKey,
          after: scheduleView(after),
        });
      });
    }
  }
}

/** Scheduled work acts for whoever scheduled it; the audit log says both. */
export function schedulerActor(onBehalfOf: string | null): Actor {
  return { kind: 'system', id: 'scheduler', name: onBehalfOf ? `scheduler (for ${onBehalfOf})` : 'scheduler', role: Role.Editor };
}
