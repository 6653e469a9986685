/**
 * The files of the application the packaging test installs the tarballs into: Node programs (ES
 * module and CommonJS), TypeScript consumers, and the pages of the browser checks. Plain text, so
 * nothing in them goes through the workspace's tooling.
 */

export const FLAG = 'packaged-checkout';
export const REGEX_FLAG = 'packaged-staff';

/** Each prints the flag's evaluation from the live server as one JSON line, with where the SDK was loaded from. */
const nodeProgram = (load: string, resolved: string) => `${load}
const flags = createClient({ url: process.env.SWITCHBOARD_URL, sdkKey: process.env.SWITCHBOARD_KEY });
const ready = await flags.ready({ timeoutMs: 10000 });
const evaluation = flags.evaluate('${FLAG}', { userId: 'u-1', properties: { appVersion: '2.1.0' } });
console.log(JSON.stringify({ ready, evaluation, resolved: ${resolved} }));
await flags.close();
`;

export const NODE_ESM = nodeProgram(
  "import { createClient } from '@switchboard/sdk-node';",
  "import.meta.resolve('@switchboard/sdk-node')",
);

export const NODE_CJS = `(async () => {
${nodeProgram("const { createClient } = require('@switchboard/sdk-node');", "require.resolve('@switchboard/sdk-node')")}
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** Every subpath of the three packages, used in ways that exercise their declared types. */
export const CONSUMER_TS = `import { compileSnapshot, evaluate, type Snapshot } from '@switchboard/core';
import { evaluateWire, parseSnapshot, wireView } from '@switchboard/core/browser';
import { cidrMatcher } from '@switchboard/core/cidr';
import { type OfrepContext, toOfrepContext } from '@switchboard/core/ofrep';
import { allOperators } from '@switchboard/core/operators';
import { backoffDelay, retryPolicyFor } from '@switchboard/core/protocol-rules';
import { regexMatcher } from '@switchboard/core/regex';
import { semverMatcher } from '@switchboard/core/semver';
import { guardTest } from '@switchboard/core/stats';
import { importUnleash } from '@switchboard/core/unleash';
import { validateSnapshot } from '@switchboard/core/validation';
import { validateWirePatch } from '@switchboard/core/wire-validation';
import { type ClientOptions as BrowserOptions, createClient as createBrowserClient } from '@switchboard/sdk-browser';
import { SwitchboardProvider as WebProvider } from '@switchboard/sdk-browser/openfeature';
import { createFlagHooks, FlagProvider, useFlag, useVariant } from '@switchboard/sdk-browser/react';
import { TestFlagProvider } from '@switchboard/sdk-browser/react/testing';
import { regex } from '@switchboard/sdk-browser/regex';
import { getBrowserBootstrap } from '@switchboard/sdk-browser/server';
import { createTestClient } from '@switchboard/sdk-browser/testing';
import { type ClientOptions, createClient, Reason, SwitchboardClient } from '@switchboard/sdk-node';
import { SwitchboardProvider } from '@switchboard/sdk-node/openfeature';

const options: ClientOptions = { url: 'http://127.0.0.1:1', sdkKey: 'sbs_x', cacheFile: '/tmp/switchboard.json' };
const flags: SwitchboardClient = createClient(options);
const on: boolean = flags.isEnabled('${FLAG}', { userId: 'u-1', properties: { plan: 'pro' } });
const matched: boolean = flags.evaluate('${FLAG}', {}).reason === Reason.RuleMatch;
const provider = new SwitchboardProvider(flags, { readyTimeoutMs: 1000 });
const browserOptions: BrowserOptions = { url: 'http://127.0.0.1:1', clientKey: 'sbc_x', operators: { regex }, storage: null };
const browser = createBrowserClient(browserOptions);
const web = new WebProvider(browser);
const hook: (key: string, fallback?: boolean) => boolean = useFlag;
const double: boolean = createTestClient<{ '${FLAG}': boolean }>({ '${FLAG}': true }).isEnabled('${FLAG}');
const bootstrapping: Promise<{ results: unknown[] }> = getBrowserBootstrap({ url: 'http://127.0.0.1:1', clientKey: 'sbc_x' }).catch(() => ({ results: [] }));
const snapshot: Snapshot = { environment: 'production', revision: 1, flags: [], segments: [] };
const compiled = compileSnapshot(snapshot, { regex: regexMatcher, semver: semverMatcher, cidr: cidrMatcher });
const enabled: boolean = evaluate(compiled, '${FLAG}', { userId: 'u-1' }).enabled;
const parsed = parseSnapshot(snapshot);
const inBrowser: boolean = parsed !== null && evaluateWire(wireView(parsed), '${FLAG}', {}).enabled;
const ofrep: OfrepContext = toOfrepContext({ userId: 'u-1' });
const retry: number = retryPolicyFor(503) === 'retry' ? backoffDelay(0) : 0;
const typed = createFlagHooks<{ '${FLAG}': boolean; banner: { variant: 'a' | 'b'; payload: { title: string } } }>();
const typedHook: (key: '${FLAG}' | 'banner', fallback?: boolean) => boolean = typed.useFlag;
const title: (() => string | undefined) = () => typed.useVariant('banner').payload?.title;
export const used = [on, matched, provider.metadata.name, web.metadata.name, FlagProvider, hook, double, bootstrapping, TestFlagProvider, useVariant, enabled, allOperators, importUnleash, validateSnapshot(snapshot).length, validateWirePatch({}).length, inBrowser, ofrep, retry, typedHook, title, guardTest([], { direction: 'lower_is_better', minEffect: 0.1 }).decision];
`;

/** The CommonJS side of sdk-node's types (\`.d.cts\`), checked under NodeNext. */
export const CONSUMER_CTS = `import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { SwitchboardProvider } from '@switchboard/sdk-node/openfeature';
import { evaluate } from '@switchboard/core';

const flags: SwitchboardClient = createClient({ url: 'http://127.0.0.1:1', sdkKey: 'sbs_x' });
export const used = [flags.isEnabled('${FLAG}', {}), new SwitchboardProvider(flags).metadata.name, typeof evaluate];
`;

export const RESOLUTIONS = {
  NodeNext: { module: 'NodeNext', files: ['consumer.ts', 'consumer.cts'] },
  Bundler: { module: 'ESNext', files: ['consumer.ts'] },
  Node10: { module: 'CommonJS', files: ['consumer.ts'] },
} as const;

export const tsconfigFor = (resolution: keyof typeof RESOLUTIONS) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: RESOLUTIONS[resolution].module,
      moduleResolution: resolution,
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
    },
    files: RESOLUTIONS[resolution].files,
  });

/**
 * What every page runs, given `createClient`: the flag (SEMVER_GTE, a plug-in loaded on demand) and
 * the REGEX flag for a context that matches both. Nothing is cached between pages (\`storage: null\`):
 * what a page shows came from the server.
 */
const pageBody = `(async () => {
  const config = await (await fetch('/config.json')).json();
  const client = createClient({
    url: config.url,
    clientKey: config.clientKey,
    storage: null,
    context: { userId: 'u-1', properties: { login: 'kim@acme.io', appVersion: '2.1.0' } },
  });
  const show = () => {
    const ready = client.status().ready;
    document.getElementById('flag').textContent = ready ? String(client.isEnabled('${FLAG}')) : 'loading';
    document.getElementById('regex').textContent = ready ? String(client.isEnabled('${REGEX_FLAG}')) : 'loading';
  };
  for (const event of ['ready', 'change', 'stale', 'error']) client.on(event, show);
  show();
})();
`;

const BODY = '<p id="flag">-</p><p id="regex">-</p>';

/** The application's module for a bundler: the SDK from node_modules, REGEX not opted into. */
export const BUNDLED_ENTRY = `import { createClient } from '@switchboard/sdk-browser';\n${pageBody}`;

export const bundledPage = (script: string) =>
  `<!doctype html><meta charset="utf-8">${BODY}<script type="module" src="${script}"></script>`;

/** The script tag as a page without a bundler has it: the file and the code calling `window.Switchboard`. */
export const scriptTagPage = (src: string) =>
  `<!doctype html><meta charset="utf-8">${BODY}<script src="${src}"></script><script>const { createClient } = window.Switchboard;\n${pageBody}</script>`;
