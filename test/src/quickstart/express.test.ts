import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { freePort } from '../support/server-process.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/express/', import.meta.url));

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the Express quickstart test is SKIPPED. ***\n');

/**
 * The Express quickstart as a reader runs it: `examples/express/server.js` in its own process with
 * a server key from the environment, answering HTTP requests from flags that change on a real
 * server. (tsx only because the workspace's SDK is its TypeScript source; from npm it is `node server.js`.)
 */
describe.skipIf(!DATABASE_URL)('Express quickstart (examples/express)', () => {
  let server: TestServer;
  let cookie: string;
  let app: ChildProcess | undefined;
  let appUrl = '';
  let output = '';
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });
  const checkout = async (userId?: string) => {
    const res = await fetch(`${appUrl}/checkout`, { headers: userId ? { 'x-user-id': userId } : {} });
    return res.text();
  };
  /** The app hears of a change over its stream: wait for it (within a few seconds), not a fixed time. */
  async function eventually(read: () => Promise<string>, want: string): Promise<string> {
    let got = '';
    for (let i = 0; i < 100; i++) {
      got = await read();
      if (got === want) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return got;
  }

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    await admin('POST', '/flags', { key: 'new-checkout', name: 'New checkout' });
    const key = (await admin('POST', '/keys', { name: 'express', environment: 'production', kind: 'server' })).body.secret;
    const port = await freePort();
    app = spawn(process.execPath, ['--import', 'tsx', `${example}server.js`], {
      cwd: repoRoot,
      env: { ...process.env, SWITCHBOARD_URL: server.url, SWITCHBOARD_SERVER_KEY: key, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listening = new Promise<void>((resolve, reject) => {
      app?.stdout?.on('data', (d) => {
        output += d;
        if (output.includes('listening on')) resolve();
      });
      app?.stderr?.on('data', (d) => {
        output += d;
      });
      app?.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)));
    });
    await listening;
    appUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (app && app.exitCode === null) {
      const exited = new Promise((r) => app?.once('exit', r));
      app.kill('SIGTERM');
      await exited;
    }
    await server?.close();
  });

  it('serves the classic checkout while the flag is off, the new one once it is on, per user by rule', async () => {
    expect(await checkout('u-1')).toBe('classic checkout');
    expect((await admin('PATCH', '/flags/new-checkout/environments/production', { enabled: true }, { 'if-match': '"1"' })).status).toBe(
      200,
    );
    expect(await eventually(() => checkout('u-1'), 'new checkout')).toBe('new checkout');

    // A rule on the user the app puts in the context: only u-42 keeps it.
    const rule = { conditions: [{ attribute: 'userId', operator: 'IN', values: ['u-42'] }] };
    expect((await admin('PATCH', '/flags/new-checkout/environments/production', { rules: [rule] }, { 'if-match': '"2"' })).status).toBe(
      200,
    );
    expect(await eventually(() => checkout('u-1'), 'classic checkout')).toBe('classic checkout');
    expect(await checkout('u-42')).toBe('new checkout');
    expect(await checkout()).toBe('classic checkout');
    expect(output).not.toMatch(/error/i);
  });
});
