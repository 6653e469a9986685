import type { PluginLoaders } from '../on-demand.ts';

/**
 * The script-tag build's stand-in for `../on-demand.ts`: the plug-ins (REGEX included, since a page
 * using the script tag cannot import it), delivery with core's wire checks, polling, server
 * evaluation and usage reports are ES modules beside `switchboard.global.js`, imported by URL from the classic script. The URL is taken while the script
 * runs: later, `document.currentScript` is another script or null.
 */
const base = (document.currentScript as HTMLScriptElement | null)?.src || location.href;
const load = (file: string) => import(/* @vite-ignore */ new URL(file, base).href);

export const LOADERS: PluginLoaders = {
  regex: () => load('switchboard.regex.js').then((m) => m.regex),
  semver: () => load('switchboard.semver.js').then((m) => m.semverMatcher),
  cidr: () => load('switchboard.cidr.js').then((m) => m.cidrMatcher),
};

export const loadRemote = (): Promise<typeof import('../remote.ts')> => load('switchboard.remote.js');

export const loadUsageReport = (): Promise<typeof import('../usage-report.ts')> => load('switchboard.usage-report.js');

export const loadPolling = (): Promise<typeof import('../polling.ts')> => load('switchboard.polling.js');

export let delivery: typeof import('../delivery.ts') | undefined;
export const loadDelivery = (): Promise<typeof import('../delivery.ts')> =>
  load('switchboard.delivery.js').then((m: typeof import('../delivery.ts')) => (delivery = m));
