import { evaluateWire, wireView } from '@switchboard/core';
import type { EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from '../../../server/test/helpers/sse.ts';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { EMAIL_DOMAIN, FLAGS, type OfrepSeed, type SeedFlag, seedOfrep, USER_IDS } from './seed.ts';

/** What an SDK older than `remote` evaluates of a server-evaluated flag: a rule that matches nobody. */
const REMOTE_GUARD_RULE = { id: 'server-evaluated', rollout: { percentage: 0 } };

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the client view tests are SKIPPED. ***\n');

describe.skipIf(!DATABASE_URL)('client view: no identifying value leaves the server', () => {
  let server: TestServer;
  let s: OfrepSeed;
  const snapshot = async () => {
    const res = await server.request('GET', '/api/client/snapshot', { token: s.clientKey });
    expect(res.status).toBe(200);
    return res;
  };
  const flagOf = (body: { flags: Array<{ key: string }> }, key: string) => body.flags.find((f) => f.key === key);

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '300', HEARTBEAT_MS: '1000' } });
    s = await seedOfrep(server, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('names remote flags without rules, sends disabled flags without rules, keeps the rest local', async () => {
    const res = await snapshot();
    expect(res.body.sensitive).toBeUndefined();
    for (const [key, f] of Object.entries(FLAGS)) {
      const form = flagOf(res.body, key);
      if (f.browser === 'hidden') expect(form, key).toBeUndefined();
      else if (f.browser === 'server') expect(form, key).toEqual({ key, enabled: true, remote: true, rules: [REMOTE_GUARD_RULE] });
      else expect((form as { remote?: boolean }).remote, key).toBeUndefined();
    }
    expect(flagOf(res.body, 'bool-off')).toEqual({ key: 'bool-off', enabled: false, rules: [] });
    // An SDK older than `remote` evaluates the view as it comes (core's wire evaluator knows nothing
    // of `remote`): every server-evaluated flag must come out off there, never on for everyone.
    const old = wireView(res.body);
    for (const [key, f] of Object.entries(FLAGS)) {
      if (f.browser === 'server')
        expect(evaluateWire(old, key, { userId: USER_IDS[0], email: `a${EMAIL_DOMAIN}` }).enabled, key).toBe(false);
    }
    // A rollout sticky on userId stays local: a bucket reveals no value.
    expect(flagOf(res.body, 'bool-plan')).toMatchObject({ rules: [{ id: 'pro' }, { id: 'half', rollout: { percentage: 50 } }] });
    for (const secret of [...USER_IDS, EMAIL_DOMAIN, 'ceo@acme.io', 'beta-users', 'server-only', 'never-sent'])
      expect(res.text, secret).not.toContain(secret);
  });

  it('tells the admin API where browsers evaluate each flag, and why', async () => {
    const browser = async (key: SeedFlag) => (await s.admin('GET', `/flags/${key}/environments/production`)).body.browser;
    expect(await browser('bool-plan')).toEqual({ mode: 'local', reasons: [] });
    expect(await browser('bool-off')).toEqual({ mode: 'local', reasons: [{ code: 'DISABLED' }] });
    expect(await browser('server-only')).toEqual({ mode: 'hidden', reasons: [{ code: 'NOT_CLIENT_VISIBLE' }] });
    expect(await browser('bool-email')).toEqual({
      mode: 'server',
      reasons: [{ code: 'SENSITIVE_CONDITION', attribute: 'email', ruleId: 'staff' }],
    });
    expect(await browser('bool-segment')).toEqual({
      mode: 'server',
      reasons: [{ code: 'SENSITIVE_CONDITION', attribute: 'userId', ruleId: 'beta', segment: 'beta-users' }],
    });
    expect(await browser('object-variant')).toEqual({ mode: 'server', reasons: [{ code: 'SENSITIVE_OVERRIDE', attribute: 'userId' }] });
    expect(await browser('child-of-email')).toEqual({ mode: 'server', reasons: [{ code: 'SERVER_DEPENDENCY', flag: 'bool-email' }] });
    expect(await browser('child-of-hidden')).toEqual({ mode: 'server', reasons: [{ code: 'HIDDEN_DEPENDENCY', flag: 'server-only' }] });
  });

  it('sends a patch for a remote flag when what is behind it changes, still without values', async () => {
    const stream = await openStream(`${server.url}/api/client/stream?key=${s.clientKey}`);
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      const version = (await s.admin('GET', '/segments/beta-users')).body.version as number;
      const put = await s.admin(
        'PATCH',
        '/segments/beta-users',
        { conditions: [{ attribute: 'userId', operator: 'IN', values: [...USER_IDS, 'u-300'] }] },
        { 'if-match': `"${version}"` },
      );
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const patch: EventSourceMessage = await stream.waitFor((e) => e.event === 'patch');
      expect(JSON.parse(patch.data).changes).toEqual([
        { op: 'flag', flag: { key: 'bool-segment', enabled: true, remote: true, rules: [REMOTE_GUARD_RULE] } },
      ]);
      expect(stream.raw()).not.toContain('u-300');
    } finally {
      stream.close();
    }
  });

  it('evaluates locally what an admin marks as not sensitive; editors may not unmark', async () => {
    const editor = await s.admin('POST', '/users', { email: 'ed@example.test', name: 'Ed', password: 'a-good-password', role: 'editor' });
    expect(editor.status).toBe(201);
    const edCookie = await server.login('ed@example.test', 'a-good-password');
    const attr = (await s.admin('GET', '/attributes')).body.attributes.find((a: { name: string }) => a.name === 'userId');
    expect(attr).toMatchObject({ sensitive: true });
    const refused = await server.request('PUT', '/api/admin/attributes/userId', {
      cookie: edCookie,
      body: { sensitive: false, version: attr.version },
    });
    expect(refused.status).toBe(403);
    const unmarked = await s.admin('PUT', '/attributes/userId', { sensitive: false, version: attr.version });
    expect(unmarked.status).toBe(200);
    let form: unknown;
    for (let i = 0; i < 50; i++) {
      form = flagOf((await snapshot()).body, 'bool-segment');
      if (!(form as { remote?: boolean }).remote) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(form).toMatchObject({ key: 'bool-segment', rules: [{ id: 'beta', conditions: [{ attribute: 'userId', operator: 'IN' }] }] });
    expect(JSON.stringify(form)).toContain('u-100');
    // The email flag stays remote, the object flag (override on userId) turns local.
    const body = (await snapshot()).body;
    expect(flagOf(body, 'bool-email')).toEqual({ key: 'bool-email', enabled: true, remote: true, rules: [REMOTE_GUARD_RULE] });
    expect((flagOf(body, 'object-variant') as { remote?: boolean }).remote).toBeUndefined();
    const again = (await s.admin('GET', '/attributes')).body.attributes.find((a: { name: string }) => a.name === 'userId');
    expect((await s.admin('PUT', '/attributes/userId', { sensitive: true, version: again.version })).status).toBe(200);
  });
});
