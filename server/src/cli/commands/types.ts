import { writeFile } from 'node:fs/promises';
import { type CommandSpec, type Context, requireEnv } from '../command.ts';
import { CliError } from '../errors.ts';
import { generateFlagTypes } from '../flag-types.ts';
import type { ExportedFlag } from '../types.ts';
import { checkEnvironment, environments } from './flags.ts';

async function types(ctx: Context): Promise<void> {
  const environment = requireEnv(ctx);
  // The export holds every live flag with its configuration in one request, for viewers too; it
  // takes an unknown environment as one without configurations, which would type every flag boolean.
  const [known, doc] = await Promise.all([
    environments(ctx),
    ctx.client.get<{ flags: ExportedFlag[] }>('/api/admin/export', { query: { environment } }),
  ]);
  checkEnvironment(known, environment);
  const { source, count } = generateFlagTypes(doc.flags, { environment, clientVisibleOnly: ctx.opts['client-visible'] === true });
  const file = ctx.opts.output;
  if (file === undefined || file === '-') {
    process.stdout.write(source);
    return;
  }
  try {
    await writeFile(file, source);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`, 'FILE_UNWRITABLE');
  }
  if (ctx.json) ctx.out.json({ file, flags: count, environment });
  else ctx.out.line(`wrote the types of ${count} flag${count === 1 ? '' : 's'} (${environment}) to ${file}`);
}

export const typeCommands: CommandSpec[] = [
  {
    words: ['types'],
    args: [],
    synopsis: '-e ENV [-o FILE] [--client-visible] [--json]',
    summary:
      'Writes a TypeScript file (stdout, or FILE) with `export interface Flags`, the flags of ENV and their value types,\n' +
      'for `createClient<Flags>()`: a flag without variants is boolean, one with variants { variant: names; payload: T }.\n' +
      '--client-visible: only the flags browsers see, for browser code. Needs viewer.',
    options: ['env', 'output', 'client-visible'],
    run: types,
  },
];
