/**
 * A child process that rewrites a cache file over and over until it is killed: what a test
 * SIGKILLs mid-write. Prints `writing` once the first write is done. Its disk is slow (the data
 * goes out in small pieces), so that most of the time a temp file is open.
 */
import { open } from 'node:fs/promises';
import { FileCache } from '../../src/file-cache.ts';
import { type FileSystem, nodeFileSystem } from '../../src/file-system.ts';
import { safeLogger } from '../../src/logger.ts';

const slowDisk: FileSystem = {
  ...nodeFileSystem,
  async writeFile(path, data, mode) {
    const file = await open(path, 'w', mode);
    try {
      for (let i = 0; i < data.length; i += 16_384) {
        await file.write(data.slice(i, i + 16_384));
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      await file.close();
    }
  },
};

const path = process.argv[2] as string;
const cache = new FileCache(path, 'child', slowDisk, safeLogger({ warn: () => {}, error: () => {} }));
const flags = Array.from({ length: 2000 }, (_, i) => ({ key: `flag-${i}`, enabled: i % 2 === 0, rules: [{ id: 'r', conditions: [] }] }));
for (let revision = 1; ; revision++) {
  cache.save({ environment: 'production', revision, flags });
  await cache.flush();
  if (revision === 1) process.stdout.write('writing\n');
}
