#!/usr/bin/env node
import { version } from '../../package.json';
import { GLOBAL_OPTIONS, optionLabel, parseCommandLine } from './args.ts';
import { type CommandSpec, usageOf } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { ApiError, CliError, ExitCode, NetworkError, UsageError } from './errors.ts';
import { ApiClient } from './http.ts';
import { describeDetails, type Output, processOutput } from './output.ts';

const DEFAULT_URL = 'http://127.0.0.1:4242';
/** Long enough for a large import, short enough that a hung server fails the pipeline step. */
const TIMEOUT_MS = 60_000;

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.synopsis}`);
  return [
    'usage: switchboard <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options for every command:',
    `  --url URL      the server (default: $SWITCHBOARD_URL, else ${DEFAULT_URL})`,
    '  --token TOKEN  an API token (default: $SWITCHBOARD_TOKEN; prefer the variable, command lines are visible to others)',
    '  --json         print JSON for scripts instead of text',
    '  -h, --help     help for a command: switchboard flags rollout --help',
    '',
    'Exit codes: 0 done; 1 the server refused (message and code on stderr); 2 the server could not be',
    'reached; 64 the command line is wrong.',
  ].join('\n');
}

function groupUsage(group: string): string {
  const specs = COMMANDS.filter((c) => c.words[0] === group);
  return ['usage:', ...specs.map((c) => `  switchboard ${c.words.join(' ')} ${c.synopsis}`)].join('\n');
}

/** The command named by the leading words; two-word commands (`flags list`) before one-word ones. */
function findCommand(positionals: readonly string[]): CommandSpec | undefined {
  return [...COMMANDS].sort((a, b) => b.words.length - a.words.length).find((c) => c.words.every((w, i) => positionals[i] === w));
}

function baseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (e.g. https://flags.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  return url;
}

async function run(argv: readonly string[], out: Output, env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, (words) => {
    const spec = findCommand(words);
    return spec ? usageOf(spec) : undefined;
  });
  if (values.version) {
    out.line(version);
    return;
  }
  const wantsHelp = values.help === true || positionals[0] === 'help';
  const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
  const spec = findCommand(words);
  if (!spec) {
    const group = words[0] !== undefined && COMMANDS.some((c) => c.words.length > 1 && c.words[0] === words[0]) ? words[0] : undefined;
    if (wantsHelp) {
      out.line(group ? groupUsage(group) : overview());
      return;
    }
    if (words.length === 0) throw new UsageError('no command given');
    if (group && words.length === 1) throw new UsageError(`${group} needs a subcommand`, groupUsage(group));
    if (group) throw new UsageError(`unknown command: ${words.slice(0, 2).join(' ')}`, groupUsage(group));
    throw new UsageError(`unknown command: ${words[0]}`);
  }
  const usage = usageOf(spec);
  if (wantsHelp) {
    out.line(usage);
    return;
  }

  const allowed = new Set([...GLOBAL_OPTIONS, ...spec.options]);
  for (const name of Object.keys(values) as Array<keyof typeof values>) {
    if (!allowed.has(name)) throw new UsageError(`${optionLabel(name)} does not apply to ${spec.words.join(' ')}`, usage);
  }
  const args = words.slice(spec.words.length);
  if (args.length < spec.args.length) throw new UsageError(`missing ${spec.args.slice(args.length).join(' ')}`, usage);
  if (args.length > spec.args.length) throw new UsageError(`unexpected argument: ${args[spec.args.length]}`, usage);
  if (args.some((a) => a === '')) throw new UsageError(`${spec.args.join(' ')} must not be empty`, usage);

  const token = values.token ?? (env.SWITCHBOARD_TOKEN || undefined);
  const client = new ApiClient({
    baseUrl: baseUrl(values.url ?? (env.SWITCHBOARD_URL || DEFAULT_URL)),
    token,
    timeoutMs: TIMEOUT_MS,
    userAgent: `switchboard-cli/${version} node/${process.versions.node}`,
  });
  await spec.run({ client, out, opts: values, args, json: values.json === true, usage });
}

/** Runs the CLI and returns the exit code; every failure is reported here, in one format. */
export async function main(
  argv: readonly string[],
  out: Output = processOutput(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  try {
    await run(argv, out, env);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof UsageError) {
      out.note(`error: ${err.message}\n\n${err.usage ?? overview()}`);
      return ExitCode.Usage;
    }
    if (err instanceof NetworkError) {
      out.note(`error: ${err.message}`);
      return ExitCode.Unreachable;
    }
    if (err instanceof CliError) {
      const lines = [`error: ${err.message} (${err.code})`, ...describeDetails(err.details).map((d) => `  ${d}`)];
      if (err instanceof ApiError && err.status === 401) {
        lines.push(
          env.SWITCHBOARD_TOKEN || argv.some((a) => a === '--token' || a.startsWith('--token='))
            ? 'hint: the token was refused; it may be mistyped or revoked'
            : 'hint: pass an API token with --token or SWITCHBOARD_TOKEN',
        );
      }
      out.note(lines.join('\n'));
      return ExitCode.Failed;
    }
    // A bug of the CLI itself: say so with the stack, rather than a bare message.
    out.note(`error: unexpected failure, please report it: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return ExitCode.Failed;
  }
}

// Setting exitCode rather than calling process.exit lets stdout drain: a large export piped into
// another program must not be cut off.
process.exitCode = await main(process.argv.slice(2));
