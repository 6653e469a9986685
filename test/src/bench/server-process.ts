import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * What the benchmarks that measure one server replica share: a fresh Postgres database, the server
 * as a child process of its own on a free port, and the clean-up of both whatever happens.
 */

export const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../server');
export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Cleanups {
  /** A step to undo; steps run in reverse order of adding. */
  add(what: string, run: () => Promise<void>): void;
  /** Runs every step once, reporting (not throwing) the failed ones; later calls wait for the same run. */
  run(): Promise<void>;
}

/** Clean-up steps, also run on SIGINT and SIGTERM (then the process exits with 130). */
export function createCleanups(): Cleanups {
  const steps: Array<{ what: string; run: () => Promise<void> }> = [];
  let cleaning: Promise<void> | undefined;
  const run = () => {
    cleaning ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step.run();
        } catch (err) {
          console.error(`cleanup (${step.what}) failed: ${(err as Error).message}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      void run().finally(() => process.exit(130));
    });
  }
  return { add: (what, step) => steps.push({ what, run: step }), run };
}

async function withPostgres(fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** A new database (sb_bench_<random>) on DATABASE_URL's server, dropped at clean-up; its URL. */
export async function createDatabase(cleanups: Cleanups): Promise<string> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await withPostgres(async (c) => {
    await c.query(`create database ${name}`);
  });
  cleanups.add(`drop database ${name}`, () =>
    withPostgres(async (c) => {
      await c.query(`drop database if exists ${name} with (force)`);
    }),
  );
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ServerProcessOptions {
  databaseUrl: string;
  admin: { email: string; password: string };
  cleanups: Cleanups;
  /** Added to the server's environment. */
  env?: Record<string, string>;
  /** A folder for a V8 CPU profile of the server (written when it stops). */
  profileDir?: string;
  /** How to start the process (e.g. pinned to a CPU); `spawn` unless said. */
  spawn?: (command: string, args: string[], options: Parameters<typeof spawn>[2]) => ChildProcess;
}

export interface ServerProcess {
  url: string;
  pid: number | undefined;
}

/**
 * The server from its sources (tsx) on a free port of 127.0.0.1, stopped at clean-up; resolves once
 * /readyz answers 200, or throws with the server's last output lines if it exits or is not ready in 60 s.
 */
export async function startServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: o.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_EMAIL: o.admin.email,
    ADMIN_PASSWORD: o.admin.password,
    LOG_LEVEL: 'warn',
    ...o.env,
  };
  // One process, no fan-out: what is measured is this server and its database.
  delete env.REDIS_URL;
  const profile = o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`];
  const child = (o.spawn ?? spawn)(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  o.cleanups.add('stop the server', () => stopProcess(child));
  // The last lines the server wrote, for the error message when it fails.
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.join('\n')}`);
    }
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { url, pid: child.pid };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server was not ready within 60 s:\n${output.join('\n')}`);
}
