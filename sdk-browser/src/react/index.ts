export { FlagProvider, type FlagProviderProps, useFlagsClient } from './flag-provider.ts';
export { useFlag, useFlagsStatus, useVariant } from './hooks.ts';
