import { basename, dirname, join } from 'node:path';
import type { FileSystem } from './file-system.ts';
import type { SafeLogger } from './logger.ts';

/**
 * A temp file older than this is abandoned whatever its name says: writing one takes milliseconds,
 * and the pid in its name may since belong to another process (or, in containers sharing a volume,
 * to a process of another namespace).
 */
export const ABANDONED_TEMP_MS = 10 * 60_000;

/** The temp file a cache write goes through: `<cache file>.<pid>.<n>.tmp`, renamed over the cache when whole. */
export const tempFileName = (path: string, pid: number, n: number) => `${path}.${pid}.${n}.tmp`;

/** Whether a process with this pid exists here (EPERM: it does, under another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException)?.code === 'EPERM';
  }
}

export interface TempCleanupOptions {
  now: number;
  /** Our own process counts as alive: another client in it may be writing the same cache. */
  isAlive?: (pid: number) => boolean;
}

/**
 * Removes the temp files of `path` that no live writer will rename: those whose process is gone (a
 * SIGKILL between write and rename), and any older than ABANDONED_TEMP_MS. A temp file of a live
 * concurrent writer is left alone. Never rejects; returns the names removed.
 */
export async function removeStaleTempFiles(path: string, fs: FileSystem, log: SafeLogger, o: TempCleanupOptions): Promise<string[]> {
  if (fs.readdir === undefined || fs.modifiedAt === undefined) return [];
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const isAlive = o.isAlive ?? processIsAlive;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    // No directory yet (the first write creates nothing either): nothing to clean.
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    const file = join(dir, name);
    try {
      const abandoned = o.now - (await fs.modifiedAt(file)) > ABANDONED_TEMP_MS;
      if (!abandoned && isAlive(Number(match[1]))) continue;
      await fs.unlink(file);
      removed.push(name);
    } catch {
      // Renamed or removed meanwhile by its writer or another cleaner: gone either way.
    }
  }
  if (removed.length > 0) log.info(`removed ${removed.length} temp file(s) of ${path} left by processes that were killed mid-write`);
  return removed;
}
