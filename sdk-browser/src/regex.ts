/**
 * REGEX conditions, opted into: `createClient({ ..., operators: { regex } })`. Without it a REGEX
 * condition never matches and its evaluation carries the error "REGEX needs the regex plug-in".
 * Kept out of the entry because its engine (re2js) is 45 KB gzipped.
 */
export { regexMatcher as regex } from '@switchboard/core/regex';
