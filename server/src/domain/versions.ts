import { ValidationError, VersionRequiredError } from '../errors.ts';

const MAX_VERSION = 2_147_483_647;

/** The version a write says it edits: `If-Match: "<n>"` (or W/"<n>"), else a `version` field. */
export function statedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number | undefined {
  if (ifMatch !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(ifMatch);
    if (m) {
      const version = Number(m[1]);
      // Versions are 32-bit in the database; a larger one is not a version of anything.
      if (version > MAX_VERSION) throw new ValidationError(`If-Match ${ifMatch} is not a version`);
      return version;
    }
  }
  return bodyVersion;
}

/** As `statedVersion`, but missing is 428; the caller answers 412 when it is stale. */
export function requireVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number {
  const version = statedVersion(ifMatch, bodyVersion);
  if (version === undefined) throw new VersionRequiredError();
  return version;
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
