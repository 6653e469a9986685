import type { MatcherFactory } from './conditions.ts';

/**
 * Strict SemVer 2.0.0 parsing and precedence. Small enough to keep in core rather than pull the
 * `semver` package into every browser bundle; no leading "v", no loose forms (as Unleash's spec).
 */

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: Array<string | number>;
}

export function parseSemver(input: string): SemVer | null {
  if (input.length > 256) return null;
  const m = SEMVER.exec(input);
  if (!m) return null;
  const prerelease = m[4] ? m[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [];
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease };
}

function compareIdentifiers(a: string | number, b: string | number): number {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an && bn) return a === b ? 0 : a < b ? -1 : 1;
  if (an) return -1;
  if (bn) return 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Precedence: -1, 0 or 1. Build metadata is ignored. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const ap = a.prerelease;
  const bp = b.prerelease;
  if (ap.length === 0 || bp.length === 0) return ap.length === bp.length ? 0 : ap.length === 0 ? 1 : -1;
  const n = Math.min(ap.length, bp.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(ap[i] as string | number, bp[i] as string | number);
    if (c !== 0) return c;
  }
  return ap.length === bp.length ? 0 : ap.length < bp.length ? -1 : 1;
}

/** The comparison results each operator accepts. */
const ACCEPTS: Readonly<Record<string, readonly number[]>> = {
  SEMVER_EQ: [0],
  SEMVER_GT: [1],
  SEMVER_GTE: [0, 1],
  SEMVER_LT: [-1],
  SEMVER_LTE: [-1, 0],
};

/** SEMVER_* conditions, as a compile plug-in (`CompileOptions.semver`). */
export const semverMatcher: MatcherFactory = (operator, values) => {
  const first = values[0];
  const target = typeof first === 'string' ? parseSemver(first) : null;
  const accepts = ACCEPTS[operator];
  if (!target || !accepts) return `${operator} needs a semantic version, got ${JSON.stringify(first)}`;
  return {
    test(value) {
      const version = parseSemver(value);
      return version !== null && accepts.includes(compareSemver(version, target));
    },
  };
};
