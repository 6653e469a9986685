import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { build as tsdown } from 'tsdown';
import { scriptTag } from '../tsdown.config.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Budgets in gzipped bytes, enforced by `pnpm size` and by the test suite so the bundle cannot grow
 * unnoticed: 6 KB for "." (GrowthBook's evaluating SDK is 14.7 KB by the same measure), 7 KB for each
 * entry with bindings: "." plus the React hooks, provider and read-only stand-in over a
 * BrowserBootstrap for server rendering (1.06 KB when "." was 5.83 KB), or plus the OpenFeature
 * provider (1.09 KB). "." takes core through `@switchboard/core/browser`
 * (the wire evaluator, parseSnapshot, results, the error), never core's index: bundlers split by
 * file, so every core file an on-demand module shares with the entry's import graph would be a
 * chunk the page loads first (what the on-demand modules use of core is in `./protocol-rules`,
 * `./ofrep` and `./wire-validation`, outside that graph).
 */
const MAIN_BUDGET = 6 * 1024;
/**
 * "." bundled without code splitting: SEMVER and IN_CIDR (1.3 KB between them), delivery with core's
 * wire checks (4 KB), polling, OFREP requests and usage reports are inlined, REGEX is not (opt-in).
 * The script-tag build is "." plus its loader of files beside it.
 */
export const NO_SPLITTING_BUDGET = 12 * 1024;
export const SCRIPT_TAG_BUDGET = 5.75 * 1024;
export const ENTRIES = [
  { name: '.', file: 'src/index.ts', budget: MAIN_BUDGET, external: [] as string[] },
  { name: './react', file: 'src/react/index.ts', budget: 7 * 1024, external: ['react', 'react/*', 'react-dom'] },
  { name: './openfeature', file: 'src/openfeature/index.ts', budget: 7 * 1024, external: ['@openfeature/*'] },
] as const;

export interface Chunk {
  minified: number;
  gzipped: number;
}

export interface SizeReport extends Chunk {
  name: string;
  budget: number;
  /** Minified bytes per source file, largest first. */
  inputs: Array<{ file: string; bytes: number }>;
  /** Chunks the page loads only when a view or a context needs them (operator plug-ins, digests), by what they hold. */
  lazy: Array<Chunk & { holds: string }>;
}

type Output = Metafile['outputs'][string];

/** An output and every chunk it imports statically, i.e. what a page loads before the entry runs. */
function staticClosure(outputs: Record<string, Output>, start: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(start);
  return seen;
}

const shortName = (path: string) => path.replace(/^(\.\.\/)+/, '').replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');

/**
 * The entry as a bundler with code splitting ships it (esbuild --bundle --splitting --minify): the
 * main figure is the entry chunk plus the chunks it imports statically; what it imports with
 * `import()` is reported apart.
 */
async function bundle(file: string, external: readonly string[]): Promise<Omit<SizeReport, 'name' | 'budget'>> {
  const result = await build({
    entryPoints: [`${root}/${file}`],
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    write: false,
    metafile: true,
    outdir: `${root}/size-out`,
    external: [...external],
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const files = new Map(result.outputFiles.map((f) => [f.path.slice(root.length).replace(/^\/+/, ''), f.contents]));
  const size = (paths: Iterable<string>): Chunk => {
    const code = Buffer.concat([...paths].map((p) => files.get(p) ?? new Uint8Array()));
    // gzip -9, as the figure is meant to be the one a CDN would serve.
    return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
  };
  const entry = Object.keys(outputs).find((p) => outputs[p]?.entryPoint !== undefined) ?? '';
  const main = staticClosure(outputs, entry);
  const inputs = new Map<string, number>();
  for (const p of main)
    for (const [file, v] of Object.entries(outputs[p]?.inputs ?? {}))
      inputs.set(shortName(file), (inputs.get(shortName(file)) ?? 0) + v.bytesInOutput);
  const lazy = Object.keys(outputs)
    .filter((p) => p.endsWith('.js') && !main.has(p) && outputs[p]?.imports.every((i) => i.kind !== 'dynamic-import'))
    .map((p) => {
      const closure = [...staticClosure(outputs, p)].filter((q) => !main.has(q));
      const holds = Object.keys(outputs[p]?.inputs ?? {})
        .map(shortName)
        .join(', ');
      return { ...size(closure), holds };
    });
  return {
    ...size(main),
    inputs: [...inputs]
      .map(([f, bytes]) => ({ file: f, bytes }))
      .filter((i) => i.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
    lazy,
  };
}

export async function measureEntries(): Promise<SizeReport[]> {
  return Promise.all(ENTRIES.map(async (e) => ({ name: e.name, budget: e.budget, ...(await bundle(e.file, e.external)) })));
}

/** The SDK's own share of ".": the same bundle with core left out. */
export async function measureOwnCode(): Promise<number> {
  return (await bundle('src/index.ts', ['@switchboard/core', '@switchboard/core/*'])).gzipped;
}

const sizeOf = (code: Uint8Array): Chunk => ({ minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength });

/** "." as a bundler without code splitting ships it (esbuild --bundle --minify, no --splitting): one file. */
export async function measureNoSplitting(): Promise<Chunk & { inputs: string[] }> {
  const result = await build({
    entryPoints: [`${root}/src/index.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    metafile: true,
    outfile: `${root}/size-out/index.js`,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).map(shortName);
  return { ...sizeOf(result.outputFiles[0]?.contents ?? new Uint8Array()), inputs };
}

/** `dist/script/switchboard.global.js` as `pnpm build` makes it (same config), built into a temporary folder. */
export async function measureScriptTag(): Promise<Chunk> {
  const outDir = await mkdtemp(join(tmpdir(), 'switchboard-size-'));
  try {
    await tsdown({ ...scriptTag, config: false, cwd: root, outDir, sourcemap: false, logLevel: 'silent' });
    return sizeOf(await readFile(join(outDir, 'switchboard.global.js')));
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
