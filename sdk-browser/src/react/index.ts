export type { Bootstrap } from './bootstrap-client.ts';
export { FlagProvider, type FlagProviderProps, useFlagsClient } from './flag-provider.ts';
export { createFlagHooks, type FlagHooks, type ParsedVariant, useFlag, useFlagsStatus, useVariant } from './hooks.ts';
