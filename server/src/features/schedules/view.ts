import type { ScheduleRow } from './store.ts';

/** A scheduled change as the API and the audit log show it (apart, so the flags service can use it without a cycle). */
export function scheduleView(row: ScheduleRow) {
  return {
    id: row.id,
    flag: row.flagKey,
    environment: row.environmentKey,
    patch: row.patch,
    runAt: row.runAt.toISOString(),
    state: row.state,
    appliedAt: row.appliedAt?.toISOString() ?? null,
    error: row.error ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}
