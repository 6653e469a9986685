import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, row, runCli } from './cli-support.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * `switchboard keys`, `flags create` and `types`: the built binary against a real server, and the
 * generated types compiled with the TypeScript compiler against core's typed-flags contract.
 */

const TYPED_FLAGS = fileURLToPath(new URL('../../core/src/typed-flags.ts', import.meta.url));
let bin = '';
let removeBuild = () => {};

beforeAll(async () => {
  ({ bin, remove: removeBuild } = await buildCli());
}, 60_000);
afterAll(() => removeBuild());

describe('CLI keys, flags create and types without a server', () => {
  it('exits 64 for wrong command lines', async () => {
    for (const args of [
      ['keys'],
      ['keys', 'create', 'web', '-e', 'production'],
      ['keys', 'create', 'web', '-e', 'production', '--kind', 'browser'],
      ['keys', 'create', '-e', 'production', '--kind', 'client'],
      ['keys', 'revoke', 'not-an-id'],
      ['flags', 'create'],
      ['flags', 'create', 'k', '--variant', '=string:x'],
      ['flags', 'create', 'k', '--variant', 'a=text:x'],
      ['flags', 'create', 'k', '--variant', 'a=json:{"open'],
      ['flags', 'create', 'k', '--variant', 'a=number:ten'],
      ['flags', 'create', 'k', '--variant', 'a=hello'],
      ['types'],
      ['types', '-e', 'production', '--kind', 'server'],
    ]) {
      const res = await runCli(bin, args);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 64, stdout: '' });
      expect(res.stderr).toMatch(/^error: .+\n\nusage:/);
    }
    const help = await runCli(bin, ['--help']);
    for (const command of ['keys create', 'keys list', 'keys revoke', 'flags create', 'types']) expect(help.stdout).toContain(command);
  });
});

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the CLI keys/types tests against a real server are SKIPPED. ***\n');

describe.skipIf(!DATABASE_URL)('CLI keys, flags create and types against a real server', () => {
  let server: TestServer;
  let cookie: string;
  let adminToken: string;
  let editorToken: string;
  let viewerToken: string;
  let tmp: string;
  const cli = (token: string, ...args: string[]) => runCli(bin, args, { url: server.url, token });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sb-cli-types-'));
    server = await startTestServer();
    cookie = await server.login();
    const token = async (role: string) =>
      (await server.request('POST', '/api/admin/tokens', { cookie, body: { name: role, role } })).body.secret as string;
    adminToken = await token('admin');
    editorToken = await token('editor');
    viewerToken = await token('viewer');
  });
  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('creates server and client keys that the SDK endpoints take, lists them, and revokes one', async () => {
    const serverKey = await cli(adminToken, 'keys', 'create', 'checkout api', '-e', 'production', '--kind', 'server');
    expect(serverKey.code).toBe(0);
    expect(serverKey.stdout).toMatch(/^sbs_[A-Za-z0-9_-]{40,}\n$/);
    expect(serverKey.stderr).toMatch(
      /^created server key checkout api for production \(id [0-9a-f-]{36}\); the secret above is shown this once/,
    );
    const secret = serverKey.stdout.trim();
    expect((await server.request('GET', '/api/sdk/snapshot', { token: secret })).status).toBe(200);

    const clientKey = await cli(adminToken, 'keys', 'create', 'web', '-e', 'production', '--kind', 'client', '--json');
    const created = JSON.parse(clientKey.stdout);
    expect(created).toMatchObject({ name: 'web', environment: 'production', kind: 'client', revokedAt: null });
    expect(created.secret).toMatch(/^sbc_/);
    expect((await server.request('GET', `/api/client/snapshot?key=${created.secret}`)).status).toBe(200);
    // A client key is no server key.
    expect((await server.request('GET', '/api/sdk/snapshot', { token: created.secret })).status).toBe(403);

    const list = await cli(adminToken, 'keys', 'list');
    expect(list.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'ENVIRONMENT', 'KIND', 'PREFIX', 'CREATED', 'REVOKED']);
    expect(row(list.stdout, created.id)).toEqual([
      created.id,
      'web',
      'production',
      'client',
      created.prefix,
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      '-',
    ]);
    expect(list.stdout).not.toContain(secret);
    expect((await cli(adminToken, 'keys', 'list', '-e', 'staging')).stdout).toBe('No SDK keys.\n');
    expect(JSON.parse((await cli(adminToken, 'keys', 'list', '-e', 'production', '--json')).stdout).keys).toHaveLength(2);

    const revoked = await cli(adminToken, 'keys', 'revoke', created.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^client key web for production \\(${created.id}\\) is revoked since \\d{4}-`));
    // Keys are remembered for two seconds per replica: refused within that.
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await server.request('GET', `/api/client/snapshot?key=${created.secret}`)).status;
    }
    expect(status).toBe(401);
    expect(row((await cli(adminToken, 'keys', 'list')).stdout, created.id)?.[6]).toMatch(/Z$/);
    // Again: nothing changes, still exit 0.
    expect((await cli(adminToken, 'keys', 'revoke', created.id)).code).toBe(0);

    // Keys are an admin's business; unknown ids and environments are the server's 404.
    const editor = await cli(editorToken, 'keys', 'create', 'x', '-e', 'production', '--kind', 'server');
    expect(editor.code).toBe(1);
    expect(editor.stderr).toMatch(/\(FORBIDDEN\)\n$/);
    expect((await cli(adminToken, 'keys', 'revoke', '00000000-0000-4000-8000-000000000000')).stderr).toContain('(NOT_FOUND)');
    expect((await cli(adminToken, 'keys', 'create', 'x', '-e', 'prod', '--kind', 'server')).stderr).toContain('(NOT_FOUND)');
  });

  it('creates flags: server-only by default, client-visible when asked, with variants and payloads', async () => {
    const plain = await cli(
      editorToken,
      'flags',
      'create',
      'new-checkout',
      '--name',
      'New checkout',
      '--description',
      'One page',
      '--tags',
      'payments, web',
    );
    expect(plain).toEqual({
      code: 0,
      stdout:
        'created new-checkout: off in every environment (switchboard flags enable new-checkout -e ENV)\n' +
        '  server SDKs only: browsers (client keys) never see it; pass --client-visible to create it for browsers\n',
      stderr: '',
    });
    const flag = (await server.request('GET', '/api/admin/flags/new-checkout', { cookie })).body;
    expect(flag).toMatchObject({
      name: 'New checkout',
      description: 'One page',
      tags: ['payments', 'web'],
      clientVisible: false,
      kind: 'boolean',
    });

    const banner = await cli(
      editorToken,
      'flags',
      'create',
      'banner',
      '--client-visible',
      '--variant',
      'blue:30=json:{"title":"Hello","cta":{"url":"/buy"},"tags":["a"]}',
      '--variant',
      'green:70=json:{"title":"Hi","tags":[]}',
    );
    expect(banner.code).toBe(0);
    expect(banner.stdout).toBe(
      'created banner with variants blue=30, green=70: off in every environment (switchboard flags enable banner -e ENV)\n' +
        '  visible to client SDKs (browsers) and server SDKs\n',
    );
    const config = (await server.request('GET', '/api/admin/flags/banner/environments/production', { cookie })).body;
    expect(config.variants).toEqual([
      { name: 'blue', weight: 30, payload: { type: 'json', value: '{"title":"Hello","cta":{"url":"/buy"},"tags":["a"]}' } },
      { name: 'green', weight: 70, payload: { type: 'json', value: '{"title":"Hi","tags":[]}' } },
    ]);
    const price = await cli(
      editorToken,
      'flags',
      'create',
      'price',
      '--client-visible',
      '--variant',
      'low=number:9.5',
      '--variant',
      'high=number:12',
      '--json',
    );
    expect(JSON.parse(price.stdout)).toMatchObject({ key: 'price', kind: 'multivariate', clientVisible: true });

    // Created client-visible, a flag reaches a browser's client view once enabled; a server-only one never does.
    await server.request('PATCH', '/api/admin/flags/banner/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { enabled: true },
    });
    await server.request('PATCH', '/api/admin/flags/new-checkout/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { enabled: true },
    });
    const clientKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'page', environment: 'production', kind: 'client' } })
    ).body.secret;
    const view = (await server.request('GET', `/api/client/snapshot?key=${clientKey}`)).body;
    const keys = view.flags.map((f: { key: string }) => f.key);
    expect(keys).toContain('banner');
    expect(keys).not.toContain('new-checkout');

    const twice = await cli(editorToken, 'flags', 'create', 'banner');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/\(CONFLICT\)\n$/);
    const viewer = await cli(viewerToken, 'flags', 'create', 'nope');
    expect(viewer.stderr).toMatch(/\(FORBIDDEN\)\n$/);
    const badKey = await cli(editorToken, 'flags', 'create', 'Not A Key');
    expect([badKey.code, badKey.stderr]).toEqual([1, expect.stringContaining('(VALIDATION_FAILED)')]);
  });

  it('generates the Flags interface of an environment, whole or client-visible only', async () => {
    const file = join(tmp, 'flags.d.ts');
    const written = await cli(viewerToken, 'types', '-e', 'production', '-o', file);
    expect(written).toEqual({ code: 0, stdout: `wrote the types of 3 flags (production) to ${file}\n`, stderr: '' });
    const source = readFileSync(file, 'utf8');
    expect(source).toBe(
      [
        '// Generated by `switchboard types -e production`; do not edit. Run it again when flags, variants or payloads change.',
        '',
        '/** The flags of the environment, for `createClient<Flags>()`: a misspelled key does not compile. */',
        'export interface Flags {',
        '  banner: {',
        "    variant: 'blue' | 'green';",
        '    payload: {',
        '      title: string;',
        '      cta?: {',
        '        url: string;',
        '      };',
        '      tags: string[];',
        '    };',
        '  };',
        '  /** New checkout - One page (server SDKs only: not client-visible) */',
        "  'new-checkout': boolean;",
        '  price: {',
        "    variant: 'low' | 'high';",
        '    payload: number;',
        '  };',
        '}',
        '',
      ].join('\n'),
    );
    const stdout = await cli(viewerToken, 'types', '-e', 'production', '--client-visible');
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toContain('  banner: {');
    expect(stdout.stdout).not.toContain('new-checkout');
    // In staging the same flags: variants were set in every environment at creation.
    expect((await cli(viewerToken, 'types', '-e', 'staging')).stdout).toContain("variant: 'low' | 'high'");
    const unknown = await cli(viewerToken, 'types', '-e', 'prod');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('(NOT_FOUND)')]);
  });

  it('gives types that compile where keys, variants and payload fields are right, and fail where one is misspelled', async () => {
    const dir = mkdtempSync(join(tmp, 'tsc-'));
    await cli(viewerToken, 'types', '-e', 'production', '-o', join(dir, 'flags.d.ts'));
    // The SDKs' typed API is built on core's typed-flags (contract 5); these signatures are theirs.
    const api = [
      `import type { FlagKey, PayloadOf, VariantFlagKey, VariantNameOf } from ${JSON.stringify(TYPED_FLAGS)};`,
      "import type { Flags } from './flags';",
      'declare function isEnabled(key: FlagKey<Flags>): boolean;',
      'declare function variant<K extends VariantFlagKey<Flags>>(key: K): { name: VariantNameOf<Flags, K> | "disabled"; enabled: boolean; payload?: PayloadOf<Flags, K> };',
      '',
    ].join('\n');
    const files: Record<string, string> = {
      'good.ts': `${api}
isEnabled('new-checkout');
isEnabled('banner');
const b = variant('banner');
const title: string | undefined = b.payload?.title;
const url: string | undefined = b.payload?.cta?.url;
const named: 'blue' | 'green' | 'disabled' = b.name;
const price: number | undefined = variant('price').payload;
export { title, url, named, price };
`,
      'misspelled-key.ts': `${api}isEnabled('new-chekout');\n`,
      'boolean-as-variant.ts': `${api}variant('new-checkout');\n`,
      'misspelled-field.ts': `${api}export const t = variant('banner').payload?.titel;\n`,
      'wrong-variant.ts': `${api}export const same = variant('banner').name === 'purple';\n`,
      'wrong-payload-type.ts': `${api}export const n: string | undefined = variant('price').payload;\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const diagnostics = (name: string) => {
      const program = ts.createProgram([join(dir, name)], {
        strict: true,
        noEmit: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        allowImportingTsExtensions: true,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        target: ts.ScriptTarget.ES2022,
        types: [],
        skipLibCheck: true,
      });
      return ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName.endsWith(name))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    expect(diagnostics('good.ts')).toEqual([]);
    expect(diagnostics('misspelled-key.ts').join('\n')).toContain(`Argument of type '"new-chekout"' is not assignable`);
    expect(diagnostics('boolean-as-variant.ts').join('\n')).toContain(`Argument of type '"new-checkout"' is not assignable`);
    expect(diagnostics('misspelled-field.ts').join('\n')).toContain(`Property 'titel' does not exist`);
    expect(diagnostics('wrong-variant.ts').join('\n')).toContain('have no overlap');
    expect(diagnostics('wrong-payload-type.ts').join('\n')).toContain(`Type 'number | undefined' is not assignable`);
  });
});
