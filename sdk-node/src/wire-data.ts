import { type PatchPayload, parsePatch, parseSnapshot, type SnapshotPayload } from '@switchboard/core';
import { type ValidationIssue, validateWirePatch, validateWireSnapshot } from '@switchboard/core/validation';

function describeIssues(issues: ValidationIssue[]): string {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return first === undefined ? 'invalid' : `${first.path}: ${first.message}${more}`;
}

/**
 * Data from the server, the cache file or a bootstrap, once core's wire checks passed: every flag
 * and segment in it, so one broken rule rejects the whole snapshot and the client keeps what it
 * had. A string says why it was rejected. Runs once per snapshot received, never per evaluation.
 */
export function checkSnapshot(value: unknown): SnapshotPayload | string {
  const snapshot = parseSnapshot(value);
  if (snapshot === null) return 'not a snapshot';
  const issues = validateWireSnapshot(snapshot);
  return issues.length === 0 ? snapshot : describeIssues(issues);
}

/** The same for a patch: rejected whole when any flag or segment in it is invalid. */
export function checkPatch(value: unknown): PatchPayload | string {
  const patch = parsePatch(value);
  if (patch === null) return 'not a patch';
  const issues = validateWirePatch(patch);
  return issues.length === 0 ? patch : describeIssues(issues);
}
