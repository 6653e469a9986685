import { type CommandSpec, type Context, requireEnv, requireOption } from '../command.ts';
import { UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { formatTime, table } from '../output.ts';
import { allPages } from '../pages.ts';
import type { CreatedSdkKeyView, SdkKeyView } from '../types.ts';

const KINDS = ['server', 'client'] as const;

async function list(ctx: Context): Promise<void> {
  const keys = await allPages<SdkKeyView>(ctx.client, '/api/admin/keys', 'keys', { environment: ctx.opts.env });
  if (ctx.json) {
    ctx.out.json({ keys });
    return;
  }
  if (keys.length === 0) {
    ctx.out.line('No SDK keys.');
    return;
  }
  ctx.out.line(
    table(
      ['ID', 'NAME', 'ENVIRONMENT', 'KIND', 'PREFIX', 'CREATED', 'REVOKED'],
      keys.map((k) => [
        k.id,
        k.name,
        k.environment,
        k.kind,
        k.prefix,
        formatTime(k.createdAt),
        k.revokedAt ? formatTime(k.revokedAt) : '-',
      ]),
    ),
  );
}

async function create(ctx: Context): Promise<void> {
  const [name = ''] = ctx.args;
  const environment = requireEnv(ctx);
  const kind = requireOption(ctx, 'kind');
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--kind must be server or client, not ${JSON.stringify(kind)}`, ctx.usage);
  }
  const key = await ctx.client.post<CreatedSdkKeyView>('/api/admin/keys', { name, environment, kind });
  if (ctx.json) {
    ctx.out.json(key);
    return;
  }
  // The secret alone on stdout, so `KEY=$(switchboard keys create ...)` captures it; the rest to stderr.
  ctx.out.line(key.secret);
  ctx.out.note(
    `created ${key.kind} key ${key.name} for ${key.environment} (id ${key.id}); the secret above is shown this once, store it now` +
      (key.kind === 'client' ? '\nclient keys are for browsers: they read only the flags marked client-visible' : ''),
  );
}

async function revoke(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new UsageError(`${JSON.stringify(id)} is not a key id (the ID column of switchboard keys list)`, ctx.usage);
  }
  const key = await ctx.client.delete<SdkKeyView>(apiPath`/api/admin/keys/${id}`);
  if (ctx.json) ctx.out.json(key);
  else ctx.out.line(`${key.kind} key ${key.name} for ${key.environment} (${key.id}) is revoked since ${formatTime(key.revokedAt)}`);
}

export const keyCommands: CommandSpec[] = [
  {
    words: ['keys', 'list'],
    args: [],
    synopsis: '[-e ENV] [--json]',
    summary: 'Lists SDK keys (every environment, or only ENV): id, name, kind, the first characters of the secret, revoked or not.',
    options: ['env'],
    run: list,
  },
  {
    words: ['keys', 'create'],
    args: ['NAME'],
    synopsis: 'NAME -e ENV --kind server|client [--json]',
    summary:
      'Creates an SDK key for ENV and prints its secret (once: only its hash is kept). Server keys are for backends\n' +
      '(sdk-node) and read every flag; client keys are for browsers and read only client-visible flags. Needs admin.',
    options: ['env', 'kind'],
    run: create,
  },
  {
    words: ['keys', 'revoke'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: 'Revokes an SDK key at once (its streams end within seconds); revoking a revoked key changes nothing. Needs admin.',
    options: [],
    run: revoke,
  },
];
