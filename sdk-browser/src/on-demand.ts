import type { CompileOptions, MatcherFactory } from '@switchboard/core';

/** What loads an operator plug-in the first time a view needs it. */
export type PluginLoaders = Partial<Record<keyof CompileOptions, () => Promise<MatcherFactory>>>;

/**
 * Code a page needs only sometimes, imported the first time it does. REGEX is not here: its engine
 * (re2js) is 45 KB and a bundler without code splitting inlines whatever `import()` names, so it is
 * an explicit opt-in (`operators: { regex }` from `@switchboard/sdk-browser/regex`). The script-tag
 * build replaces this module with `script-tag/on-demand.ts`, which loads files from beside the script.
 */
export const LOADERS: PluginLoaders = {
  semver: () => import('@switchboard/core/semver').then((m) => m.semverMatcher),
  cidr: () => import('@switchboard/core/cidr').then((m) => m.cidrMatcher),
};

/** The OFREP request for server-evaluated flags: only pages whose client view has some need it. */
export const loadRemote = () => import('./remote.ts');

/** Sending usage reports, and `track()`'s aggregation: loaded with the first report or tracked event. */
export const loadUsageReport = () => import('./usage-report.ts');

/** The snapshot request, the stream's fallback: loaded when the stream fails or there is none. */
export const loadPolling = () => import('./polling.ts');

/**
 * Delivery (the stream, core's wire checks every network payload passes, and the polling it falls
 * back on), loaded when the first connection of a page opens (the first payload could not be taken
 * before the checks were there anyway); connections after it start at once.
 */
export let delivery: typeof import('./delivery.ts') | undefined;
export const loadDelivery = () => import('./delivery.ts').then((m) => (delivery = m));
