import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'tsdown';
import { serverBuild } from '../tsdown.config.ts';

/** The CLI built from the sources by the package's own settings into a folder of its own (see cli.test.ts). */
export async function buildCli(): Promise<{ bin: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cli-build-'));
  // Only the CLI entry: the server's entry and its copy of the admin UI are not needed here.
  const { hooks: _needsAdminUi, copy: _adminUi, ...settings } = serverBuild;
  await build({ ...settings, config: false, entry: { cli: serverBuild.entry.cli }, outDir: dir, logLevel: 'warn' });
  return { bin: join(dir, 'cli.mjs'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built binary in a child process (not blocking: the server answering it may live in this
 * one), configured through the environment as in CI; `nodeArgs` go to node before it (`--import tsx`
 * runs the CLI from its sources).
 */
export function runCli(
  bin: string,
  args: string[],
  options: { url?: string; token?: string; cwd?: string; stdin?: string; nodeArgs?: string[] } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHBOARD_URL: options.url ?? '', SWITCHBOARD_TOKEN: options.token ?? '' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], {
      env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** A table's data row starting with `first`, split into cells (cells are two or more spaces apart). */
export function row(stdout: string, first: string): string[] | undefined {
  return stdout
    .split('\n')
    .find((l) => l.startsWith(`${first} `))
    ?.split(/\s{2,}/);
}
