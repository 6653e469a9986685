import type { PluginLoaders } from '../on-demand.ts';

/**
 * The script-tag build's stand-in for `../on-demand.ts`: the plug-ins (REGEX included, since a page
 * using the script tag cannot import it), the digest code and core's wire checks are ES modules beside
 * `switchboard.global.js`, imported by URL from the classic script. The URL is taken while the script
 * runs: later, `document.currentScript` is another script or null.
 */
const base = (document.currentScript as HTMLScriptElement | null)?.src || location.href;
const load = (file: string) => import(/* @vite-ignore */ new URL(file, base).href);

export const LOADERS: PluginLoaders = {
  regex: () => load('switchboard.regex.js').then((m) => m.regex),
  semver: () => load('switchboard.semver.js').then((m) => m.semverMatcher),
  cidr: () => load('switchboard.cidr.js').then((m) => m.cidrMatcher),
};

export const loadSha256 = (): Promise<typeof import('../sha256-hex.ts')> => load('switchboard.sha256.js');

export const loadWireChecks = (): Promise<typeof import('./wire-validation.ts')> => load('switchboard.wire-validation.js');
