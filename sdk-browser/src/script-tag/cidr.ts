export { cidrMatcher } from '@switchboard/core/cidr';
