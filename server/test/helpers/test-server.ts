import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createServer } from '../../src/app.ts';
import { bootstrap } from '../../src/bootstrap.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';

export const ADMIN = { email: 'admin@example.test', password: 'correct-horse-battery' } as const;

/** Postgres for tests: DATABASE_URL points at a server; each test file gets its own database. */
export const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.warn('\n*** DATABASE_URL is not set: the Postgres cases of the server tests are SKIPPED. .ci/run sets it. ***\n');
}

async function createDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sb_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text, sent as is (for malformed JSON). */
  raw?: string;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestServer {
  url: string;
  app: FastifyInstance;
  config: Config;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** Logs in and returns the session cookie to send back. */
  login(email?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real server on a real port: Postgres (a fresh database) by default, or embedded PGlite in a
 * temporary folder. Migrations and first-start bootstrap run exactly as in production.
 */
export async function startTestServer(
  options: {
    database?: 'postgres' | 'pglite';
    env?: Record<string, string> /** PGlite folder to reuse; kept on close. */;
    dataDir?: string;
    /** A Postgres database another test server made: a second replica of it (the database stays on close). */
    databaseUrl?: string;
  } = {},
): Promise<TestServer> {
  const kind = options.database ?? 'postgres';
  let dropDatabase = async () => {};
  let dataDir: string | undefined;
  const env: Record<string, string> = {
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'silent',
    PORT: '0',
    LOGIN_RATE_LIMIT: '1000',
    LOGIN_ACCOUNT_LIMIT: '1000',
    ...options.env,
  };
  if (options.databaseUrl) {
    env.DATABASE_URL = options.databaseUrl;
  } else if (kind === 'postgres') {
    if (!DATABASE_URL) throw new Error('DATABASE_URL is not set');
    const created = await createDatabase(DATABASE_URL);
    dropDatabase = created.drop;
    env.DATABASE_URL = created.url;
  } else {
    dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-pglite-'));
    env.DATA_DIR = dataDir;
  }
  const config = loadConfig(env);
  const database = await openDatabase(config);
  await runMigrations(database);
  const app = await createServer({ config, database });
  await bootstrap(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const request = async <T>(method: string, path: string, o: RequestOptions = {}): Promise<TestResponse<T>> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    // Writes say JSON even without a body, as the admin UI does (the server refuses other types on
    // cookie-authenticated writes); a test that means otherwise sets content-type itself.
    if ((body !== undefined || !['GET', 'HEAD'].includes(method)) && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (metrics, docs): keep the text.
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };

  return {
    url,
    app,
    config,
    request,
    async login(email: string = ADMIN.email, password: string = ADMIN.password) {
      const res = await request('POST', '/api/admin/login', { body: { email, password } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      const setCookie = res.headers.get('set-cookie') ?? '';
      return setCookie.split(';')[0] ?? '';
    },
    async close() {
      await app.close();
      await database.close();
      await dropDatabase();
      if (dataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
