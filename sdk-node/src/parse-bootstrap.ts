import type { SnapshotPayload } from '@switchboard/core';
import { checkSnapshot } from './wire-data.ts';

/**
 * A bootstrap value as a snapshot, or null when it is not one or fails core's wire checks. Accepts
 * a snapshot (what `GET /api/sdk/snapshot` returns) or a cache file written by the client, so a
 * saved cache can be shipped as the bootstrap of another deployment.
 */
export function parseBootstrap(value: unknown): SnapshotPayload | null {
  let candidate = value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (record.flags === undefined && record.snapshot !== undefined) candidate = record.snapshot;
  }
  const snapshot = checkSnapshot(candidate);
  if (typeof snapshot === 'string') return null;
  // A hand-written bootstrap may leave out what the server always sends.
  return typeof snapshot.environment === 'string' ? snapshot : { ...snapshot, environment: '' };
}
