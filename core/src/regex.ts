import { RE2JS } from 're2js';
import type { MatcherFactory } from './conditions.ts';

/**
 * REGEX conditions run on a plug-in the caller passes to `compileSnapshot`, so bundles that never
 * meet a REGEX condition (most browser pages) need not carry one. This is the engine everything
 * else uses: RE2 syntax on re2js, linear in the input, so no pattern can hang evaluation.
 * Lookaround and backreferences do not exist in RE2 and are refused, as in Unleash.
 */

export interface CompiledRegex {
  test(input: string): boolean;
}

/** A compiled pattern, or the reason it cannot be one. */
export type RegexEngine = (pattern: string, caseInsensitive: boolean) => CompiledRegex | string;

export const MAX_REGEX_LENGTH = 1024;

export const re2Engine: RegexEngine = (pattern, caseInsensitive) => {
  if (pattern === '') return 'REGEX needs a pattern';
  if (pattern.length > MAX_REGEX_LENGTH) return `REGEX pattern longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    return `invalid REGEX pattern: ${e instanceof Error ? e.message : String(e)}`;
  }
};

/** REGEX conditions, as a compile plug-in (`CompileOptions.regex`). */
export const regexMatcher: MatcherFactory = (_operator, values, caseInsensitive) =>
  typeof values[0] === 'string' ? re2Engine(values[0], caseInsensitive) : 'REGEX needs a pattern';
