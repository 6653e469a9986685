import type { RampRow } from './store.ts';

/** A plan as the API, the audit log and webhooks show it (apart, so the flags service can use it without a cycle). */
export function rampView(row: RampRow) {
  return {
    id: row.id,
    flag: row.flagKey,
    environment: row.environmentKey,
    ruleId: row.ruleId,
    steps: row.steps,
    guard: row.guard ?? null,
    state: row.state,
    currentStep: row.currentStep,
    previousPercentage: row.previousPercentage ?? null,
    nextStepAt: row.nextStepAt?.toISOString() ?? null,
    reason: row.reason ?? null,
    version: row.version,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
