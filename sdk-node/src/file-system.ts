import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';

/** The file operations the cache and a bootstrap file need; injected so tests need no real failures. */
export interface FileSystem {
  readFile(path: string): Promise<string>;
  writeFile(path: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Names in a directory; without it, temp files left by killed processes are not cleaned up. */
  readdir?(dir: string): Promise<string[]>;
  /** Last modification, in ms since the epoch. */
  modifiedAt?(path: string): Promise<number>;
}

export const nodeFileSystem: FileSystem = {
  readFile: (path) => readFile(path, 'utf8'),
  writeFile: (path, data, mode) => writeFile(path, data, { encoding: 'utf8', mode }),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  readdir: (dir) => readdir(dir),
  modifiedAt: async (path) => (await stat(path)).mtimeMs,
};
