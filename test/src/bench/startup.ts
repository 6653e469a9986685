import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../support/server-process.ts';

// Usage: pnpm bench:startup [--runs N] [--no-build] [--json]
//
// How long the server takes from process start until /readyz answers 200, and its resident memory
// then, started from its TypeScript sources through tsx and from the built JavaScript, side by
// side: the runs of every variant take turns, so a busy machine weighs on all of them alike. Each
// variant has its own temporary DATA_DIR (embedded PGlite, no DATABASE_URL or REDIS_URL), created
// by a first start that is reported apart (it creates the database and applies the migrations);
// the N runs after it (default 5) start on that existing database, as a restart does. The server
// is built first (`pnpm --filter @switchboard/server... build`) unless --no-build. Prints a table,
// or JSON with --json; exits 1 when a start failed.

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    runs: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs must be a whole number >= 1');
  process.exit(2);
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const serverDir = join(repoRoot, 'server');
const tsxCli = join(serverDir, 'node_modules/tsx/dist/cli.mjs');

interface Variant {
  name: string;
  command: string;
  argv: string[];
}

const VARIANTS: Variant[] = [
  { name: 'tsx sources', command: 'tsx src/main.ts (the former pnpm start)', argv: [tsxCli, 'src/main.ts'] },
  { name: 'tsx in-process', command: 'node --import tsx src/main.ts', argv: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'built', command: 'node dist/main.mjs (pnpm start)', argv: ['dist/main.mjs'] },
];

const progress = (message: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
};

/** Resident memory of a process and its descendants (tsx's CLI runs the server in a child), in bytes. */
function treeRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No children file (an old kernel): the process alone.
  }
  return kib * 1024 + children.reduce((sum, child) => sum + treeRss(child), 0);
}

interface Start {
  ms: number;
  rssBytes: number;
}

async function startOnce(variant: Variant, dataDir: string): Promise<Start> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'bench@example.test',
    ADMIN_PASSWORD: 'bench-password-1',
    NODE_ENV: 'production',
  };
  // The embedded database, whatever the calling shell has configured.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, variant.argv, { cwd: serverDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant.command} exited with ${child.exitCode}:\n${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 120_000) throw new Error(`${variant.command} was not ready in 120 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - started;
    return { ms, rssBytes: child.pid ? treeRss(child.pid) : Number.NaN };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

if (!args['no-build']) {
  progress('building the server (pnpm --filter @switchboard/server... build)');
  execFileSync('pnpm', ['--filter', '@switchboard/server...', 'build'], { cwd: repoRoot, stdio: 'ignore' });
}
if (!existsSync(join(serverDir, 'dist/main.mjs'))) {
  console.error('server/dist/main.mjs is missing: run without --no-build');
  process.exit(1);
}

const dataDirs = VARIANTS.map(() => mkdtempSync(join(tmpdir(), 'sb-bench-startup-')));
const firsts: Start[] = [];
const samples: Start[][] = VARIANTS.map(() => []);
let failed = false;
try {
  for (const [i, variant] of VARIANTS.entries()) {
    progress(`first start (creates the database): ${variant.command}`);
    firsts.push(await startOnce(variant, dataDirs[i] ?? ''));
  }
  for (let run = 1; run <= runs; run++) {
    for (const [i, variant] of VARIANTS.entries()) {
      progress(`run ${run}/${runs}: ${variant.command}`);
      samples[i]?.push(await startOnce(variant, dataDirs[i] ?? ''));
    }
  }
} catch (err) {
  console.error((err as Error).message);
  failed = true;
} finally {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
}
if (failed) process.exit(1);

const rows = VARIANTS.map((variant, i) => {
  const xs = samples[i] ?? [];
  const ms = xs.map((s) => s.ms);
  return {
    variant: variant.name,
    command: variant.command,
    runs: xs.length,
    readyMs: { median: Math.round(median(ms)), min: Math.round(Math.min(...ms)), max: Math.round(Math.max(...ms)) },
    rssMiB: Math.round((median(xs.map((s) => s.rssBytes)) / 1048576) * 10) / 10,
    firstStartMs: Math.round(firsts[i]?.ms ?? Number.NaN),
  };
});
const built = rows.find((r) => r.variant === 'built');
const report = {
  node: process.version,
  runs,
  rows,
  builtVsTsx: Object.fromEntries(
    rows
      .filter((r) => r !== built && built)
      .map((r) => [
        r.variant,
        { savedMs: r.readyMs.median - (built?.readyMs.median ?? 0), savedRssMiB: Math.round((r.rssMiB - (built?.rssMiB ?? 0)) * 10) / 10 },
      ]),
  ),
};

if (args.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const header = ['start', 'ready (median)', 'min', 'max', 'RSS at ready', 'first start'];
  const body = rows.map((r) => [
    r.command,
    `${r.readyMs.median} ms`,
    `${r.readyMs.min} ms`,
    `${r.readyMs.max} ms`,
    `${r.rssMiB} MiB`,
    `${r.firstStartMs} ms`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(`Server start-up on embedded PGlite, ${runs} runs each after a first start (${process.version})\n`);
  console.log(line(header));
  for (const row of body) console.log(line(row));
  console.log('');
  for (const [variant, diff] of Object.entries(report.builtVsTsx))
    console.log(`built vs ${variant}: ${diff.savedMs} ms sooner ready, ${diff.savedRssMiB} MiB less RSS`);
}
