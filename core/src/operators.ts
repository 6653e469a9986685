import { cidrMatcher } from './cidr.ts';
import type { CompileOptions } from './compile.ts';
import { regexMatcher } from './regex.ts';
import { semverMatcher } from './semver.ts';

/** Every plug-in operator (REGEX, SEMVER_*, IN_CIDR): what servers and the Node SDK compile with. */
export const allOperators: CompileOptions = { regex: regexMatcher, semver: semverMatcher, cidr: cidrMatcher };
