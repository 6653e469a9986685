import { startTestServer, type TestResponse, type TestServer } from './test-server.ts';

export interface RampStep {
  percentage: number;
  holdSeconds: number;
}

/**
 * What the ramp suites share: a server whose scheduler ticks fast, the admin API as the admin, and
 * the plan of rule `main` in production that nearly every test makes. Made at describe level
 * (`start` in beforeAll, `close` in afterAll), so the calls can be used by name in the tests.
 */
export function rampKit(o: { waitMs: number }) {
  let server: TestServer | undefined;
  let cookie = '';
  const running = () => {
    if (!server) throw new Error('rampKit: start() has not run');
    return server;
  };
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse> =>
    running().request(method, `/api/admin${path}`, { body, cookie, headers });
  return {
    async start(env: Record<string, string>): Promise<TestServer> {
      server = await startTestServer({ env });
      cookie = await server.login();
      return server;
    },
    async close(): Promise<void> {
      await server?.close();
    },
    req,
    /** Until `check` holds, asking every 50 ms; throws after `ms`. */
    async until(check: () => Promise<boolean>, ms = o.waitMs): Promise<void> {
      const end = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** A new flag with `patch` (its rules, whether on) in production, as version 2. */
    async flagWith(key: string, patch: Record<string, unknown>): Promise<TestResponse> {
      await req('POST', '/flags', { key });
      return req('PATCH', `/flags/${key}/environments/production`, patch, { 'if-match': '"1"' });
    },
    /** POST /ramps: a plan of rule `main` of `flag` in production; `more` adds to it or overrides (a guard, another rule). */
    planRamp(flag: string, steps: RampStep[], more: Record<string, unknown> = {}): Promise<TestResponse> {
      return req('POST', '/ramps', { flag, environment: 'production', ruleId: 'main', steps, ...more });
    },
    async stateOf(id: string): Promise<string> {
      return (await req('GET', `/ramps/${id}`)).body.state;
    },
  };
}
