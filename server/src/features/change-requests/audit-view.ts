import type { ChangeRequestRow } from './store.ts';

/**
 * What the audit log and webhooks carry of a request (no target state, which the change's own rows
 * carry). Apart from the service, so the flags service can use it without an import cycle.
 */
export function changeRequestAuditView(row: ChangeRequestRow) {
  return {
    id: row.id,
    environment: row.environmentKey,
    title: row.title,
    reason: row.reason,
    change: row.change,
    state: row.state,
    round: row.round,
    author: row.authorName,
    version: row.version,
    ...(row.resultVersion !== null ? { resultVersion: row.resultVersion } : {}),
  };
}
