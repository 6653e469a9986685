import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * The embedded database's folder, readable by this user only: it holds password hashes, session
 * and key digests. A missing folder is created 0700 (parents too); an existing one that others
 * can read is tightened to 0700, as Postgres itself insists on, with a warning that says so.
 */
export function prepareDataDir(dir: string): 'created' | 'tightened' | 'kept' {
  let mode: number;
  try {
    mode = statSync(dir).mode;
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The mode given to mkdir is filtered by the umask; chmod is not.
    chmodSync(dir, 0o700);
    return 'created';
  }
  if ((mode & 0o077) === 0) return 'kept';
  chmodSync(dir, 0o700);
  process.emitWarning(`DATA_DIR ${dir} was readable by other users (mode ${(mode & 0o777).toString(8)}); it is now 0700`, {
    code: 'SWITCHBOARD_DATA_DIR',
  });
  return 'tightened';
}
