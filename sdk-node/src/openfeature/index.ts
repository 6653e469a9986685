export { SwitchboardProvider, type SwitchboardProviderOptions } from './switchboard-provider.ts';
export { toSwitchboardContext } from './to-switchboard-context.ts';
