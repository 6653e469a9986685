export { semverMatcher } from '@switchboard/core/semver';
