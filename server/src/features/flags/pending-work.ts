import type { Database } from '../../db/client.ts';
import type { ChangeTx } from '../../domain/changes.ts';
import { changeRequestAuditView } from '../change-requests/audit-view.ts';
import { deleteRequestsOfFlag, lockLiveRequestsOfFlag, updateChangeRequest } from '../change-requests/store.ts';
import { deleteRampsOfFlag, lockLiveRampsOfFlag, updateRamp } from '../ramps/store.ts';
import { rampView } from '../ramps/view.ts';
import { deleteSchedulesOfFlag, lockPendingSchedulesOfFlag, setScheduleState } from '../schedules/store.ts';
import { scheduleView } from '../schedules/view.ts';

/**
 * What is still queued against a flag (ramp plans, scheduled changes, change requests) and what
 * happens to it when the flag is archived or deleted, in that write's own transaction: otherwise a
 * plan's next step or a due change fails later on the archived flag, and requests stay open for a
 * flag nobody can change.
 */

export const ARCHIVED_REASON = 'flag archived';

/**
 * Locks the flag's live work before the archive takes the environment locks: the scheduler and the
 * ramp, schedule and request services lock their row first and the environment second, so taking
 * them in that same order here keeps an archive from deadlocking with a step in flight.
 */
export async function lockPendingWorkOf(tx: Database, flag: string): Promise<void> {
  await lockLiveRampsOfFlag(tx, flag);
  await lockPendingSchedulesOfFlag(tx, flag);
  await lockLiveRequestsOfFlag(tx, flag);
}

/**
 * Ends the flag's live work, each with the audit row (and so the webhooks) a person's action would
 * have had. Nothing comes back on restore: whoever restores a flag decides afresh what to run on it.
 */
export async function settlePendingWorkOfArchivedFlag(c: ChangeTx, flag: string): Promise<void> {
  for (const before of await lockLiveRampsOfFlag(c.tx, flag)) {
    // The rule keeps the percentage it reached: the flag is out of delivery anyway, and a restore
    // brings it back as it stood when archived rather than with a change nobody asked for.
    const after = await updateRamp(c.tx, before.id, { state: 'aborted', nextStepAt: null, reason: ARCHIVED_REASON });
    await c.audit({
      action: 'ramp.aborted',
      resourceType: 'ramp',
      resourceKey: before.id,
      environmentKey: before.environmentKey,
      before: rampView(before),
      after: rampView(after),
    });
  }
  for (const before of await lockPendingSchedulesOfFlag(c.tx, flag)) {
    const after = await setScheduleState(c.tx, before.id, { state: 'cancelled' });
    await c.audit({
      action: 'schedule.cancelled',
      resourceType: 'flag',
      resourceKey: before.flagKey,
      environmentKey: before.environmentKey,
      before: scheduleView(before),
      after: { ...scheduleView(after), reason: ARCHIVED_REASON },
    });
  }
  for (const before of await lockLiveRequestsOfFlag(c.tx, flag)) {
    // `withdrawn`, not `rejected`: nobody judged the change on its merits (a rejection is a
    // reviewer's decision, with a review row); the request is simply no longer pursued, which is
    // what a withdrawal says. No new state, so the API and the UI stay as they are.
    const after = await updateChangeRequest(c.tx, before.id, { state: 'withdrawn' });
    await c.audit({
      action: 'change_request.withdrawn',
      resourceType: 'change_request',
      resourceKey: before.id,
      environmentKey: before.environmentKey,
      before: changeRequestAuditView(before),
      after: { ...changeRequestAuditView(after), closedBecause: ARCHIVED_REASON },
    });
  }
}

/** Deletes every plan, scheduled change and request of the flag, so a flag re-created under its key starts clean. */
export async function deleteWorkOf(tx: Database, flag: string) {
  return {
    ramps: await deleteRampsOfFlag(tx, flag),
    schedules: await deleteSchedulesOfFlag(tx, flag),
    changeRequests: await deleteRequestsOfFlag(tx, flag),
  };
}
