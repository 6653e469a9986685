import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const SDK_PACKAGES = ['core', 'sdk-node', 'sdk-browser'] as const;
export type SdkPackage = (typeof SDK_PACKAGES)[number];

/**
 * What an application installs besides the tarballs: the TypeScript it checks with, the types of
 * Node and React, and the optional peers of the subpaths it imports (npm leaves optional peers out).
 * The versions are the workspace's own.
 */
const APP_DEPENDENCIES = [
  'typescript@5.9.3',
  '@types/node@20.19.43',
  'react@19.3.1',
  '@types/react@19.3.0',
  '@openfeature/server-sdk@1.23.0',
  '@openfeature/web-sdk@1.10.0',
  '@openfeature/core@1.12.0',
];

/** Cleans the environment of anything that would let a child process reach the workspace (tsx, conditions). */
export function appEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return env;
}

export async function runIn(cwd: string, file: string, args: string[], env = appEnv()): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

/** `pnpm build` of the three packages (core first: the others declare their types against its sources). */
export async function buildSdks(): Promise<void> {
  await runIn(repoRoot, 'pnpm', [...SDK_PACKAGES.flatMap((p) => ['--filter', `@switchboard/${p}`]), 'build'], process.env);
}

/** `pnpm pack` of each package into `dir`, as a release would publish them: the tarball paths by package. */
export async function packSdks(dir: string): Promise<Record<SdkPackage, string>> {
  await mkdir(dir, { recursive: true });
  for (const p of SDK_PACKAGES) await runIn(join(repoRoot, p), 'pnpm', ['pack', '--pack-destination', dir], process.env);
  const files = await readdir(dir);
  const tarball = (p: SdkPackage) => {
    const file = files.find((f) => f.startsWith(`switchboard-${p}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`no tarball for ${p} in ${dir}: ${files.join(', ')}`);
    return join(dir, file);
  };
  return { core: tarball('core'), 'sdk-node': tarball('sdk-node'), 'sdk-browser': tarball('sdk-browser') };
}

/** A fresh application in `dir` (an ES module package) with the tarballs installed by npm from the registry's point of view. */
export async function installApp(dir: string, tarballs: Record<SdkPackage, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'packaging-app', version: '1.0.0', private: true, type: 'module' }));
  await runIn(dir, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...Object.values(tarballs), ...APP_DEPENDENCIES]);
}
