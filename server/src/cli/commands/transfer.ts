import { type CommandSpec, type Context, requireEnv } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { readJsonFile, writeJsonFile } from './files.ts';

interface ExportDocument {
  version: number;
  exportedAt?: string;
  flags: Array<{ key: string; environments: Record<string, unknown> } & Record<string, unknown>>;
  segments: unknown[];
}

interface Names {
  created: string[];
  updated: string[];
}

interface ImportReport {
  dryRun: boolean;
  flags: Names;
  segments: Names;
  environments: string[];
  skippedEnvironments: string[];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function isDocument(value: unknown): value is ExportDocument {
  const doc = value as Partial<ExportDocument> | null;
  return typeof doc === 'object' && doc !== null && Array.isArray(doc.flags) && Array.isArray(doc.segments);
}

async function exportCommand(ctx: Context): Promise<void> {
  const env = ctx.opts.env;
  const doc = await ctx.client.get<ExportDocument>('/api/admin/export', { query: { environment: env } });
  const file = ctx.opts.output;
  if (file === undefined || file === '-') {
    // The document is the output, with or without --json.
    ctx.out.json(doc);
    return;
  }
  await writeJsonFile(file, doc);
  const summary = { file, flags: doc.flags.length, segments: doc.segments.length, environment: env ?? null };
  if (ctx.json) ctx.out.json(summary);
  else
    ctx.out.line(
      `exported ${count(doc.flags.length, 'flag')} and ${count(doc.segments.length, 'segment')}${env ? ` (${env} only)` : ''} to ${file}`,
    );
}

/**
 * `--from-env SRC -e DEST` applies the document's SRC configuration to DEST: an export of staging
 * promoted to production, or copied into a new environment. The server imports environments by
 * name, so the CLI renames SRC to DEST in the document and drops the other environments.
 */
function retarget(doc: ExportDocument, from: string, to: string): ExportDocument {
  return {
    ...doc,
    flags: doc.flags.map((f) => ({ ...f, environments: from in f.environments ? { [to]: f.environments[from] } : {} })),
  };
}

function environmentsIn(doc: ExportDocument): string[] {
  return [...new Set(doc.flags.flatMap((f) => Object.keys(f.environments)))].sort();
}

function names(label: string, n: Names, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (n.created.length > 0) lines.push(`${label} ${dryRun ? 'to create' : 'created'} (${n.created.length}): ${n.created.join(', ')}`);
  if (n.updated.length > 0) lines.push(`${label} ${dryRun ? 'to update' : 'updated'} (${n.updated.length}): ${n.updated.join(', ')}`);
  return lines;
}

async function importCommand(ctx: Context): Promise<void> {
  const [file = ''] = ctx.args;
  const from = ctx.opts['from-env'];
  const env = from !== undefined ? requireEnv(ctx) : ctx.opts.env;
  const read = await readJsonFile(file);
  if (!isDocument(read)) throw new CliError(`${file} is not a Switchboard export (no "flags" and "segments" lists)`, 'NOT_AN_EXPORT');
  let doc = read;
  if (from !== undefined && env !== undefined) {
    if (!environmentsIn(doc).includes(from)) {
      throw new UsageError(`${file} has no configuration for ${from} (it has: ${environmentsIn(doc).join(', ') || 'none'})`, ctx.usage);
    }
    doc = retarget(doc, from, env);
  } else if (env !== undefined && doc.flags.length > 0 && !environmentsIn(doc).includes(env)) {
    // Otherwise the server would update metadata only and succeed, which looks like an import that worked.
    const has = environmentsIn(doc);
    throw new UsageError(
      `${file} has no configuration for ${env} (it has: ${has.join(', ') || 'none'})${has.length > 0 ? `; to apply ${has[0]}'s to ${env}, add --from-env ${has[0]}` : ''}`,
      ctx.usage,
    );
  }

  const dryRun = ctx.opts['dry-run'] === true;
  const report = await ctx.client.post<ImportReport>('/api/admin/import', {
    document: doc,
    ...(env !== undefined ? { environment: env } : {}),
    dryRun,
  });
  if (ctx.json) {
    ctx.out.json(report);
    return;
  }
  const lines = [...names('flags', report.flags, report.dryRun), ...names('segments', report.segments, report.dryRun)];
  ctx.out.line(report.dryRun ? `dry run: nothing was changed` : `imported ${file === '-' ? 'stdin' : file}`);
  for (const l of lines.length > 0 ? lines : ['nothing to import']) ctx.out.line(`  ${l}`);
  if (report.environments.length > 0) ctx.out.line(`  environments: ${report.environments.join(', ')}`);
  if (report.skippedEnvironments.length > 0) {
    ctx.out.line(`  skipped (no such environment here): ${report.skippedEnvironments.join(', ')}`);
  }
}

export const transferCommands: CommandSpec[] = [
  {
    words: ['export'],
    args: [],
    synopsis: '[-e ENV] [-o FILE] [--json]',
    summary: 'Writes active flags (their configuration in every environment, or only ENV) and segments as JSON,\nto stdout or FILE.',
    options: ['env', 'output'],
    run: exportCommand,
  },
  {
    words: ['import'],
    args: ['FILE'],
    synopsis: 'FILE|- [-e ENV [--from-env SRC]] [--dry-run] [--json]',
    summary:
      'Creates or updates the flags and segments of an export (FILE, or - for stdin) in one transaction.\n' +
      "With -e, only ENV's configuration is applied; --from-env SRC applies the file's SRC configuration to ENV\n" +
      '(e.g. promote an export of staging to production). --dry-run checks everything and reports, changing nothing.',
    options: ['env', 'from-env', 'dry-run'],
    run: importCommand,
  },
];
