export { SwitchboardProvider } from './switchboard-provider.ts';
export { toContext } from './to-context.ts';
