import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, row, runCli as runCliBinary } from './cli-support.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * The CLI as users run it: the built single-file binary, in a child process, against a real server
 * on a real port, configured through SWITCHBOARD_URL and SWITCHBOARD_TOKEN as in a CI pipeline.
 * It is built from the sources by the package's own build settings, into a folder of this run (the
 * packaging test runs the packed one).
 */

let bin = '';
let removeBuild = () => {};

function runCli(args: string[], options: { url?: string; token?: string; stdin?: string } = {}) {
  return runCliBinary(bin, args, options);
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createHttpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  ({ bin, remove: removeBuild } = await buildCli());
}, 60_000);

afterAll(() => removeBuild());

describe('CLI without a server', () => {
  it('exits 64 with usage text for a wrong command line', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('usage: switchboard <command>');

    const missing = await runCli(['flags', 'enable', 'dark-mode']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('error: --env (-e) is required');
    expect(missing.stderr).toContain('usage: switchboard flags enable KEY -e ENV');

    for (const args of [
      ['flags', 'frobnicate'],
      ['ramps'],
      ['flags', 'list', '--bogus'],
      ['flags', 'list', '--steps', '1:1'],
      ['flags', 'show'],
      ['flags', 'show', 'a', 'b'],
      ['flags', 'rollout', 'k', '-e', 'production', '--percentage', '120'],
      ['ramps', 'start', 'k', '-e', 'production', '--rule', 'r', '--steps', '5:soon'],
      ['ramps', 'start', 'k', '-e', 'production', '--rule', 'r', '--steps', '5:60', '--guard', 'errors:gte:1:pause'],
      ['ramps', 'abort', 'id', '--to', 'somewhere'],
      ['ramps', 'start', 'k', '-e', 'production', '--rule', 'r', '--steps', '5:60', '--guard-metric', 'errors', '--direction', 'sideways'],
      ['ramps', 'start', 'k', '-e', 'production', '--rule', 'r', '--steps', '5:60', '--action', 'rollback'],
      [
        'ramps',
        'start',
        'k',
        '-e',
        'production',
        '--rule',
        'r',
        '--steps',
        '5:60',
        '--guard-metric',
        'e',
        '--direction',
        'lower',
        '--min-effect',
        'none',
      ],
      ['schedule', 'k', '-e', 'production', '--at', '2030-01-01T10:00', '--enable'],
      ['schedule', 'k', '-e', 'production', '--at', '2030-01-01T10:00Z'],
      ['schedule', 'k', '-e', 'production', '--at', '2030-01-01T10:00Z', '--enable', '--disable'],
      ['flags', 'list', '--url', 'not a url'],
    ]) {
      const res = await runCli(args);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 64, stdout: '' });
      expect(res.stderr).toMatch(/^error: .+\n\nusage:/);
    }
  });

  it('refuses an option value starting with "-" in one line that shows the "=" form, which reaches the command', async () => {
    const start = 'ramps start k -e production --rule r --steps 5:60 --guard-metric errors --direction lower'.split(' ');
    const spaced = await runCli([...start, '--min-effect', '-1']);
    expect(spaced.code).toBe(64);
    expect(spaced.stderr.split('\n').slice(0, 3)).toEqual([
      'error: --min-effect -1: a value starting with "-" goes after "=", as in --min-effect=-1',
      '',
      expect.stringMatching(/^usage: switchboard ramps start KEY/),
    ]);
    // Written so, the value gets to the guard's own check (a relative change is above 0).
    const joined = await runCli([...start, '--min-effect=-1']);
    expect(joined.code).toBe(64);
    expect(joined.stderr).toMatch(/^error: --min-effect is a relative change above 0 \(0\.1 is 10%\), not "-1"\n\nusage:/);
    // A short option, and one of our options where the value should be: a missing value.
    expect((await runCli(['flags', 'enable', 'k', '-e', '-1'])).stderr).toMatch(
      /^error: -e -1: a value starting with "-" goes after "=", as in --env=-1\n\n/,
    );
    expect((await runCli(['flags', 'list', '--tag', '--json'])).stderr).toMatch(/^error: --tag needs a value, but --json follows it\n\n/);
  });

  it('prints help and the version on stdout, exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('flags rollout');
    expect(help.stdout).toContain('Exit codes');
    const one = await runCli(['ramps', 'start', '--help']);
    expect(one.stdout).toContain('usage: switchboard ramps start KEY -e ENV --rule RULE_ID --steps');
    expect((await runCli(['help', 'schedules'])).stdout).toContain('switchboard schedules cancel ID');
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 when the server cannot be reached', async () => {
    const res = await runCli(['flags', 'list'], { url: `http://127.0.0.1:${await closedPort()}` });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/);
  });
});

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the CLI tests against a real server are SKIPPED. ***\n');

describe.skipIf(!DATABASE_URL)('CLI against a real server', () => {
  let server: TestServer;
  let cookie: string;
  let token: string;
  let viewerToken: string;
  let tmp: string;
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const cli = (...args: string[]) => runCli(args, { url: server.url, token });
  const config = async (key: string, env: string) => (await admin('GET', `/flags/${key}/environments/${env}`)).body;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    server = await startTestServer();
    cookie = await server.login();
    token = (await admin('POST', '/tokens', { name: 'ci pipeline', role: 'editor' })).body.secret;
    viewerToken = (await admin('POST', '/tokens', { name: 'dashboard', role: 'viewer' })).body.secret;

    await admin('POST', '/segments', {
      key: 'nordics',
      conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE', 'DK'] }],
    });
    await admin('POST', '/flags', { key: 'new-checkout', name: 'New checkout', tags: ['payments'], description: 'The one-page checkout' });
    await admin('POST', '/flags', { key: 'dark-mode', name: 'Dark mode', tags: ['ui'] });
    await admin('POST', '/flags', { key: 'search-v2', name: 'Search v2', tags: ['search'] });
    const rules = await admin(
      'PATCH',
      '/flags/new-checkout/environments/production',
      {
        rules: [
          { id: 'beta', segments: ['nordics'], conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }] },
          { id: 'everyone', rollout: { percentage: 12.5, stickiness: 'userId' } },
        ],
      },
      { 'if-match': '"1"' },
    );
    expect(rules.status).toBe(200);
  });

  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('lists flags as a table, filtered, and as JSON', async () => {
    const all = await cli('flags', 'list');
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['KEY', 'NAME', 'DEVELOPMENT', 'STAGING', 'PRODUCTION', 'LAST CHANGED']);
    expect(row(all.stdout, 'new-checkout')).toEqual([
      'new-checkout',
      'New checkout',
      'off',
      'off',
      'off',
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
    ]);
    expect(row(all.stdout, 'dark-mode')?.slice(0, 2)).toEqual(['dark-mode', 'Dark mode']);

    const prod = await cli('flags', 'list', '-e', 'production', '--tag', 'ui');
    expect(prod.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['KEY', 'NAME', 'PRODUCTION', 'LAST CHANGED']);
    expect(prod.stdout.trim().split('\n')).toHaveLength(2);
    expect(row(prod.stdout, 'dark-mode')?.[2]).toBe('off');

    const json = await cli('flags', 'list', '--search', 'one-page', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.total).toBe(1);
    expect(parsed.flags[0]).toMatchObject({ key: 'new-checkout', tags: ['payments'], environments: { production: { ruleCount: 2 } } });

    expect((await cli('flags', 'list', '--search', 'nothing-like-this')).stdout).toBe('No flags.\n');
    const badEnv = await cli('flags', 'list', '-e', 'prod');
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toBe('error: Environment prod not found (there are: development, staging, production) (NOT_FOUND)\n');
  });

  it('shows a flag with the rules of one environment, and as JSON', async () => {
    const res = await cli('flags', 'show', 'new-checkout', '-e', 'production');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('new-checkout  New checkout\n  The one-page checkout\n  kind boolean; tags payments;');
    expect(row(res.stdout, 'production')?.slice(0, 4)).toEqual(['production', 'off', '2', '2']);
    expect(res.stdout).toContain('production: off, version 2');
    expect(res.stdout).toContain('  1. beta  segment nordics AND plan IN beta -> 100%\n');
    expect(res.stdout).toContain('  2. everyone  everyone -> 12.5% by userId\n');

    const json = JSON.parse((await cli('flags', 'show', 'new-checkout', '-e', 'production', '--json')).stdout);
    expect(json.flag).toMatchObject({ key: 'new-checkout', name: 'New checkout' });
    expect(json.environment).toMatchObject({ environment: 'production', version: 2, rules: [{ id: 'beta' }, { id: 'everyone' }] });
    expect(JSON.parse((await cli('flags', 'show', 'dark-mode', '--json')).stdout).environment).toBeNull();
  });

  it('prints no terminal control sequences that came from the server', async () => {
    const ESC = '\u001b';
    const name = `${ESC}]0;pwned\u0007Evil${ESC}[2J name\u009b31m`;
    const created = await admin('POST', '/flags', {
      key: 'escapes',
      name,
      description: `first line\nsecond${ESC}[31m red\u202e`,
      tags: ['esc'],
    });
    expect(created.status).toBe(201);
    await admin(
      'PATCH',
      '/flags/escapes/environments/staging',
      {
        rules: [
          { id: 'r1', description: `fake\n  2. row${ESC}[1A`, conditions: [{ attribute: 'plan', operator: 'IN', values: [`x${ESC}[8m`] }] },
        ],
      },
      { 'if-match': '"1"' },
    );
    // C0 except line breaks and tabs, DEL, C1 and bidi overrides.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const forbidden = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const list = await cli('flags', 'list', '--tag', 'esc');
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(forbidden);
    expect(row(list.stdout, 'escapes')?.[1]).toBe(']0;pwnedEvil[2J name31m');
    const show = await cli('flags', 'show', 'escapes', '-e', 'staging');
    expect(show.stdout).not.toMatch(forbidden);
    expect(show.stdout).toContain('  first line\nsecond[31m red');
    // A line break inside a rule cannot forge a second rule line.
    expect(show.stdout).toContain('  1. r1  plan IN x[8m -> 100%  # fake   2. row[1A\n');
    const json = await cli('flags', 'show', 'escapes', '--json');
    expect(json.stdout).not.toMatch(forbidden);
    expect(JSON.parse(json.stdout).flag.name).toBe(name);
    const missing = await cli('flags', 'show', `nope${ESC}[2J${ESC}]0;x\u0007`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toMatch(forbidden);
    expect(missing.stderr).toContain('nope[2J]0;x');
    // Out of the way of the export tests below.
    expect((await admin('POST', '/flags/escapes/archive')).status).toBe(200);
    expect((await admin('DELETE', '/flags/escapes')).status).toBe(200);
  });

  it('enables and disables, writing nothing when the flag already is as asked', async () => {
    const on = await cli('flags', 'enable', 'dark-mode', '-e', 'staging');
    expect(on).toEqual({ code: 0, stdout: 'dark-mode is now on in staging (version 2)\n', stderr: '' });
    expect(await config('dark-mode', 'staging')).toMatchObject({ enabled: true, version: 2 });

    const again = await cli('flags', 'enable', 'dark-mode', '-e', 'staging');
    expect(again.stdout).toBe('dark-mode was already on in staging (version 2); nothing changed\n');
    expect((await config('dark-mode', 'staging')).version).toBe(2);

    const off = await cli('flags', 'disable', 'dark-mode', '-e', 'staging', '--json');
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ flag: 'dark-mode', environment: 'staging', enabled: false, version: 3 });
    expect(row((await cli('flags', 'list', '-e', 'staging')).stdout, 'dark-mode')?.[2]).toBe('off');
  });

  it("changes one rule's rollout and leaves the other rules as they were", async () => {
    const before = await config('new-checkout', 'production');
    const res = await cli('flags', 'rollout', 'new-checkout', '-e', 'production', '--rule', 'everyone', '--percentage', '40');
    expect(res).toEqual({ code: 0, stdout: 'new-checkout in production: rule everyone now rolls out to 40% (version 3)\n', stderr: '' });
    const after = await config('new-checkout', 'production');
    expect(after.rules[0]).toEqual(before.rules[0]);
    expect(after.rules[1]).toEqual({ id: 'everyone', rollout: { percentage: 40, stickiness: 'userId' } });

    const sticky = await cli(
      'flags',
      'rollout',
      'new-checkout',
      '-e',
      'production',
      '--rule',
      'beta',
      '--percentage',
      '5',
      '--stickiness',
      'accountId',
      '--json',
    );
    expect(JSON.parse(sticky.stdout).rules[0]).toMatchObject({
      id: 'beta',
      segments: ['nordics'],
      rollout: { percentage: 5, stickiness: 'accountId' },
    });

    const ambiguous = await cli('flags', 'rollout', 'new-checkout', '-e', 'production', '--percentage', '50');
    expect(ambiguous.code).toBe(64);
    expect(ambiguous.stderr).toContain('new-checkout has rules in production; name the one to change with --rule (beta, everyone)');

    const unknownRule = await cli('flags', 'rollout', 'new-checkout', '-e', 'production', '--rule', 'gamma', '--percentage', '50');
    expect(unknownRule.code).toBe(1);
    expect(unknownRule.stderr).toBe('error: new-checkout has no rule gamma in production (its rules: beta, everyone) (NOT_FOUND)\n');

    // No rules and no --rule: one rule for everyone.
    const first = await cli('flags', 'rollout', 'search-v2', '-e', 'development', '--percentage', '10');
    expect(first.code).toBe(0);
    expect((await config('search-v2', 'development')).rules).toEqual([{ id: expect.any(String), rollout: { percentage: 10 } }]);
  });

  it('exits 1 with the server message and code: bad token, unknown flag, too little role, invalid input', async () => {
    const badToken = await runCli(['flags', 'list'], { url: server.url, token: 'sb_not_a_real_token' });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: .+ \(UNAUTHENTICATED\)\nhint: the token was refused/);
    const noToken = await runCli(['flags', 'list'], { url: server.url });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('hint: pass an API token with --token or SWITCHBOARD_TOKEN');

    const unknown = await cli('flags', 'show', 'no-such-flag');
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'error: Flag no-such-flag not found (NOT_FOUND)\n' });
    expect((await cli('flags', 'enable', 'no-such-flag', '-e', 'production')).code).toBe(1);

    const viewer = await runCli(['flags', 'enable', 'dark-mode', '-e', 'production'], { url: server.url, token: viewerToken });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/^error: .+ \(FORBIDDEN\)\n$/);

    // The server's validation details are printed by path under the message.
    const rulesFile = join(tmp, 'bad-rules.json');
    writeFileSync(rulesFile, JSON.stringify([{ conditions: [{ attribute: 'version', operator: 'SORT_OF', values: ['1'] }] }]));
    const invalid = await cli('schedule', 'dark-mode', '-e', 'production', '--at', '2031-01-01T00:00:00Z', '--rules-file', rulesFile);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^error: .+ \(VALIDATION_FAILED\)\n {2}\/patch\/rules\/0\/conditions\/0\/operator: /);

    const missingFile = await cli('import', join(tmp, 'nope.json'));
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toMatch(/^error: cannot read .*nope\.json: ENOENT/);
  });

  describe('a write that races another', () => {
    let proxy: Server;
    let proxyUrl: string;
    /** How many PATCHes still get another writer's change slipped in before them. */
    let interfere = 0;

    beforeAll(async () => {
      // Between the CLI's read and its write, someone else writes: the proxy makes that write just
      // before forwarding the CLI's PATCH, so the race happens every time instead of rarely.
      proxy = createHttpServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        if (req.method === 'PATCH' && interfere > 0) {
          interfere--;
          const path = (req.url ?? '').replace('/api/admin', '');
          const current = (await admin('GET', path)).body;
          await admin('PATCH', path, { rules: current.rules }, { 'if-match': `"${current.version}"` });
        }
        const upstream = await fetch(server.url + req.url, {
          method: req.method,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<
            string,
            string
          >,
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => proxy?.close(() => resolve()));
    });

    it('reports the 412 conflict and writes nothing; --retry re-reads and retries once', async () => {
      const start = (await config('search-v2', 'production')).version;
      interfere = 1;
      const conflict = await runCli(['flags', 'enable', 'search-v2', '-e', 'production'], { url: proxyUrl, token });
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toBe(
        `error: search-v2 in production was changed by someone else after it was read (read version ${start}, now version ${start + 1}); ` +
          'nothing was written. Check the change and run again, or pass --retry to re-read and retry once (VERSION_MISMATCH)\n',
      );
      expect(await config('search-v2', 'production')).toMatchObject({ enabled: false, version: start + 1 });

      interfere = 1;
      const retried = await runCli(['flags', 'enable', 'search-v2', '-e', 'production', '--retry'], { url: proxyUrl, token });
      expect(retried.code).toBe(0);
      expect(retried.stderr).toContain(
        `changed while it was being edited (read version ${start + 1}, now version ${start + 2}); reading it again and retrying once`,
      );
      expect(retried.stdout).toBe(`search-v2 is now on in production (version ${start + 3})\n`);

      // Busy beyond one retry: reported, not looped on.
      interfere = 2;
      const busy = await runCli(['flags', 'disable', 'search-v2', '-e', 'production', '--retry'], { url: proxyUrl, token });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain('It changed again on the retry');
      expect((await config('search-v2', 'production')).enabled).toBe(true);
    });
  });

  it('starts, lists, pauses, resumes and aborts a ramp', async () => {
    const started = await cli(
      'ramps',
      'start',
      'new-checkout',
      '-e',
      'production',
      '--rule',
      'everyone',
      '--steps',
      '41:1h,60:1h,90:0',
      '--guard',
      'error_rate:gt:0.05:rollback',
      '--json',
    );
    expect(started.code).toBe(0);
    const ramp = JSON.parse(started.stdout);
    expect(ramp).toMatchObject({
      state: 'running',
      currentStep: 0,
      previousPercentage: 40,
      steps: [
        { percentage: 41, holdSeconds: 3600 },
        { percentage: 60, holdSeconds: 3600 },
        { percentage: 90, holdSeconds: 0 },
      ],
      guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.05, action: 'rollback' },
    });
    expect((await config('new-checkout', 'production')).rules[1].rollout.percentage).toBe(41);

    const list = await cli('ramps', 'list', '--flag', 'new-checkout', '-e', 'production');
    expect(row(list.stdout, ramp.id)).toEqual([
      ramp.id,
      'new-checkout',
      'production',
      'everyone',
      'running',
      '1/3 (41%)',
      expect.stringMatching(/Z$/),
    ]);
    expect(JSON.parse((await cli('ramps', 'list', '--flag', 'dark-mode', '--json')).stdout)).toEqual({ ramps: [] });

    const twice = await cli('ramps', 'start', 'new-checkout', '-e', 'production', '--rule', 'everyone', '--steps', '50:60');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('(CONFLICT)');

    const paused = await cli('ramps', 'pause', ramp.id);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`ramp ${ramp.id}: paused\n  new-checkout in production, rule everyone; step 1/3 (41%)\n`);
    expect(paused.stdout).toContain('  steps: 41% for 1h, 60% for 1h, 90% for 0s\n  guard: rollback when error_rate > 0.05\n');
    expect((await cli('ramps', 'pause', ramp.id)).code).toBe(1);
    expect(JSON.parse((await cli('ramps', 'resume', ramp.id, '--json')).stdout).state).toBe('running');

    const aborted = await cli('ramps', 'abort', ramp.id, '--json');
    expect(JSON.parse(aborted.stdout).state).toBe('aborted');
    expect((await config('new-checkout', 'production')).rules[1].rollout.percentage).toBe(40);
    expect((await cli('ramps', 'abort', '00000000-0000-4000-8000-000000000000')).stderr).toContain('(NOT_FOUND)');

    // A metric guard: the server compares the tracked event with and without the rule's result.
    const guarded = await cli(
      ...['ramps', 'start', 'new-checkout', '-e', 'production', '--rule', 'everyone', '--steps', '50:1h'],
      ...['--guard-metric', 'errors', '--direction', 'lower', '--min-effect', '0.2', '--action', 'rollback', '--json'],
    );
    expect(guarded.code).toBe(0);
    const plan = JSON.parse(guarded.stdout);
    expect(plan.guard).toEqual({ kind: 'metric', metric: 'errors', direction: 'lower_is_better', minEffect: 0.2, action: 'rollback' });
    const shown = await cli('ramps', 'guard', plan.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('  guard: rollback when errors is higher by more than 20.0% than without the rule\n');
    expect(shown.stdout).toContain('  errors: no_data; estimate unbounded, 95% interval none yet\n');
    expect(JSON.parse((await cli('ramps', 'guard', plan.id, '--json')).stdout).metrics[0]).toMatchObject({
      decision: 'no_data',
      series: [],
    });
    // The beta rule has conditions: its not-rolled-out bucket is not what falls through it.
    const refused = await cli(
      'ramps',
      'start',
      'new-checkout',
      '-e',
      'production',
      '--rule',
      'beta',
      '--steps',
      '50:1h',
      '--guard-metric',
      'errors',
      '--direction',
      'lower',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(VALIDATION_FAILED)');
    expect(JSON.parse((await cli('ramps', 'abort', plan.id, '--json')).stdout).state).toBe('aborted');
  });

  it('schedules changes, lists and cancels them; a due one is applied', async () => {
    const at = '2031-06-01T09:00:00+02:00';
    const created = await cli('schedule', 'dark-mode', '-e', 'production', '--at', at, '--enable', '--json');
    expect(created.code).toBe(0);
    const schedule = JSON.parse(created.stdout);
    expect(schedule).toMatchObject({
      flag: 'dark-mode',
      environment: 'production',
      patch: { enabled: true },
      runAt: '2031-06-01T07:00:00.000Z',
      state: 'pending',
    });

    const rulesFile = join(tmp, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ rules: [{ rollout: { percentage: 25 } }] }));
    const withRules = await cli(
      'schedule',
      'dark-mode',
      '-e',
      'staging',
      '--at',
      '2031-06-02T00:00:00Z',
      '--disable',
      '--rules-file',
      rulesFile,
    );
    expect(withRules.stdout).toMatch(/^scheduled [0-9a-f-]{36}: disable, set 1 rule dark-mode in staging at 2031-06-02 00:00:00Z\n$/);

    const list = await cli('schedules', 'list', '--flag', 'dark-mode');
    expect(row(list.stdout, schedule.id)).toEqual([schedule.id, 'dark-mode', 'production', '2031-06-01 07:00:00Z', 'enable', 'pending']);

    const cancelled = await cli('schedules', 'cancel', schedule.id);
    expect(cancelled.stdout).toBe(`cancelled ${schedule.id}: enable dark-mode in production at 2031-06-01 07:00:00Z\n`);
    const again = await cli('schedules', 'cancel', schedule.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(CONFLICT)');

    // A time already past is due at the scheduler's next pass (every second by default).
    const due = JSON.parse(
      (await cli('schedule', 'dark-mode', '-e', 'development', '--at', '2020-01-01T00:00:00Z', '--enable', '--json')).stdout,
    );
    let state = 'pending';
    for (let i = 0; i < 50 && state === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { schedules } = JSON.parse((await cli('schedules', 'list', '-e', 'development', '--json')).stdout);
      state = schedules.find((s: { id: string }) => s.id === due.id).state;
    }
    expect(state).toBe('applied');
    expect((await config('dark-mode', 'development')).enabled).toBe(true);
  });

  it('exports to stdout and a file, and promotes one environment into a fresh one', async () => {
    const stdout = await cli('export');
    expect(stdout.code).toBe(0);
    const doc = JSON.parse(stdout.stdout);
    expect(doc).toMatchObject({ version: 1, segments: [{ key: 'nordics' }] });
    expect(doc.flags.map((f: { key: string }) => f.key)).toEqual(['dark-mode', 'new-checkout', 'search-v2']);

    const file = join(tmp, 'production.json');
    const toFile = await cli('export', '-e', 'production', '-o', file);
    expect(toFile.stdout).toBe(`exported 3 flags and 1 segment (production only) to ${file}\n`);
    const production = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(production.flags[1].environments)).toEqual(['production']);

    expect((await admin('POST', '/environments', { key: 'qa', name: 'QA' })).status).toBe(201);
    const unnamed = await cli('import', file, '-e', 'qa');
    expect(unnamed.code).toBe(64);
    expect(unnamed.stderr).toContain(
      "has no configuration for qa (it has: production); to apply production's to qa, add --from-env production",
    );

    const dry = await cli('import', file, '-e', 'qa', '--from-env', 'production', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      'dry run: nothing was changed\n  flags to update (3): dark-mode, new-checkout, search-v2\n  segments to update (1): nordics\n  environments: qa\n',
    );
    expect((await config('new-checkout', 'qa')).version).toBe(1);

    const real = await cli('import', file, '-e', 'qa', '--from-env', 'production', '--json');
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      dryRun: false,
      environments: ['qa'],
      flags: { created: [], updated: ['dark-mode', 'new-checkout', 'search-v2'] },
    });
    const qa = JSON.parse((await cli('export', '-e', 'qa')).stdout);
    expect(qa.flags.map((f: { environments: Record<string, unknown> }) => f.environments.qa)).toEqual(
      production.flags.map((f: { environments: Record<string, unknown> }) => f.environments.production),
    );
  });

  it('round-trips a whole export into a fresh server, through stdin', async () => {
    const doc = JSON.parse((await cli('export')).stdout);
    const fresh = await startTestServer();
    try {
      const freshCookie = await fresh.login();
      const freshToken = (
        await fresh.request('POST', '/api/admin/tokens', { cookie: freshCookie, body: { name: 'restore', role: 'editor' } })
      ).body.secret;
      // The fresh server has no `qa` environment: that part is skipped and said so.
      const imported = await runCli(['import', '-'], { url: fresh.url, token: freshToken, stdin: JSON.stringify(doc) });
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('  flags created (3): dark-mode, new-checkout, search-v2\n  segments created (1): nordics\n');
      expect(imported.stdout).toContain('  skipped (no such environment here): qa\n');

      const back = JSON.parse((await runCli(['export'], { url: fresh.url, token: freshToken })).stdout);
      const withoutQa = (d: typeof doc) => ({
        ...d,
        exportedAt: undefined,
        flags: d.flags.map((f: { environments: Record<string, unknown> }) => ({
          ...f,
          environments: { ...f.environments, qa: undefined },
        })),
      });
      expect(withoutQa(back)).toEqual(withoutQa(doc));
    } finally {
      await fresh.close();
    }
  });
});
