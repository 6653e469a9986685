import { VersionRequiredError } from '../errors.ts';

/**
 * The version a write edits: from `If-Match: "<n>"` (or W/"<n>"), else from a `version` field.
 * Missing is 428; the caller compares it with the stored one and answers 412 when stale.
 */
export function requireVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number {
  if (ifMatch !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(ifMatch);
    if (m) return Number(m[1]);
  }
  if (bodyVersion !== undefined) return bodyVersion;
  throw new VersionRequiredError();
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
