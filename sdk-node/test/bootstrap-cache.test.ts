import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheSource } from '../src/file-cache.ts';
import { nodeFileSystem } from '../src/file-system.ts';
import { type ChangeEvent, type FileSystem, Reason, type SwitchboardClient } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { FLAG_OFF, FLAG_ON, memoryLogger, snapshot, testClient } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';

async function deadUrl(): Promise<string> {
  const s = await FaultServer.start();
  await s.close();
  return s.url;
}

describe('bootstrap', () => {
  const clients: SwitchboardClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('serves a bootstrap object before any connection, even with the server down', async () => {
    const client = testClient({ url: await deadUrl(), bootstrap: snapshot(1, [FLAG_ON, FLAG_OFF]) }, clients);
    // Synchronously: no await between creating the client and asking.
    expect(client.isReady).toBe(true);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.evaluate('off', {}).reason).toBe(Reason.Off);
    expect(client.source).toBe('bootstrap');
    expect(await client.ready({ timeoutMs: 10 })).toBe(true);
  });

  it('reads a bootstrap file, and accepts a hand-written snapshot without an environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-boot-'));
    try {
      const file = join(dir, 'flags.json');
      await writeFile(file, JSON.stringify({ revision: 0, flags: [FLAG_ON] }));
      const client = testClient({ offline: true, bootstrap: file }, clients);
      expect(await client.ready({ timeoutMs: 1000 })).toBe(true);
      expect(client.isEnabled('on', {})).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ignores an invalid bootstrap with a warning; the fallback is served with NOT_READY, logged once', async () => {
    const logger = memoryLogger();
    const client = testClient({ offline: true, bootstrap: { revision: 1, flags: 'nope' } as never, logger }, clients);
    expect(logger.at('warn').some((m) => m.includes('bootstrap'))).toBe(true);
    expect(await client.ready({ timeoutMs: 100 })).toBe(false);
    expect(client.isEnabled('on', {}, true)).toBe(true);
    expect(client.isEnabled('on', {})).toBe(false);
    expect(client.evaluate('on', {}).reason).toBe(Reason.NotReady);
    expect(client.variant('on', {}, { name: 'fallback', enabled: true })).toEqual({ name: 'fallback', enabled: true });
    expect(logger.at('warn').filter((m) => m.includes('NOT_READY'))).toHaveLength(1);
  });

  it('gives way to server data, reporting what differs', async () => {
    const server = await FaultServer.start();
    const open: ServerResponse[] = [];
    server.on(STREAM, (_req, res) => {
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(5, [{ key: 'on', enabled: false }, FLAG_OFF]), 5));
    });
    const changes: ChangeEvent[] = [];
    const client = testClient({ url: server.url, bootstrap: snapshot(0, [FLAG_ON, FLAG_OFF]) }, clients).on('change', (e) =>
      changes.push(e),
    );
    await waitUntil(() => client.source === 'server', 2000, 'server data');
    expect(changes).toEqual([{ flags: ['on'], revision: 5, source: 'server' }]);
    expect(client.isEnabled('on', {})).toBe(false);
    await client.close();
    for (const res of open) res.destroy();
    await server.close();
  });
});

describe('file cache', () => {
  let dir: string;
  let cacheFile: string;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-cache-'));
    cacheFile = join(dir, 'switchboard-cache.json');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function writeCacheFromServer(revision: number): Promise<string> {
    const server = await FaultServer.start();
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(revision, [FLAG_ON, { key: 'beta', enabled: true }]), revision));
    });
    const writer = testClient({ url: server.url, cacheFile }, clients);
    await writer.ready({ timeoutMs: 2000 });
    await writer.close();
    await server.close();
    return server.url;
  }

  it('keeps the last good snapshot and serves it at start while the server is down', async () => {
    const url = await writeCacheFromServer(42);
    const saved = JSON.parse(await readFile(cacheFile, 'utf8'));
    expect(saved.snapshot.revision).toBe(42);
    expect(JSON.stringify(saved)).not.toContain('sbs_test');

    // Same URL and key, and now nothing listens there.
    const client = testClient({ url, cacheFile }, clients);
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.source).toBe('cache');
    expect(client.revision).toBe(42);
    expect(client.isEnabled('beta', {})).toBe(true);
  });

  it('ignores a corrupt cache with a warning, and starts without it', async () => {
    await writeFile(cacheFile, '{"format":"switchboard-sdk-cache","version":1,"snap');
    const logger = memoryLogger();
    const client = testClient({ url: await deadUrl(), cacheFile, logger }, clients);
    expect(await client.ready({ timeoutMs: 300 })).toBe(false);
    expect(logger.at('warn').some((m) => m.includes('corrupt'))).toBe(true);
    expect(client.isEnabled('on', {}, true)).toBe(true);
  });

  it('ignores a cache with an invalid snapshot, or written for another key', async () => {
    const url = await writeCacheFromServer(7);
    const logger = memoryLogger();
    const other = testClient({ url, sdkKey: 'sbs_another_environment', cacheFile, logger }, clients);
    expect(await other.ready({ timeoutMs: 300 })).toBe(false);
    expect(logger.at('warn').some((m) => m.includes('another server URL or SDK key'))).toBe(true);

    const file = JSON.parse(await readFile(cacheFile, 'utf8'));
    file.snapshot.flags = [{ key: 'on', enabled: 'maybe' }];
    await writeFile(cacheFile, JSON.stringify(file));
    const logger2 = memoryLogger();
    const client = testClient({ url, cacheFile, logger: logger2 }, clients);
    expect(await client.ready({ timeoutMs: 300 })).toBe(false);
    expect(logger2.at('warn').some((m) => m.includes('invalid snapshot'))).toBe(true);
  });

  it('writes atomically: a temporary file renamed over the cache, never the cache itself', async () => {
    const calls: string[] = [];
    const fs: FileSystem = {
      readFile: (p) => nodeFileSystem.readFile(p),
      writeFile: async (p, data, mode) => {
        calls.push(`write ${p === cacheFile ? 'CACHE' : 'temp'}`);
        await nodeFileSystem.writeFile(p, data, mode);
      },
      rename: async (from, to) => {
        calls.push(`rename ${from === cacheFile ? 'CACHE' : 'temp'} -> ${to === cacheFile ? 'CACHE' : 'other'}`);
        await nodeFileSystem.rename(from, to);
      },
      unlink: (p) => nodeFileSystem.unlink(p),
    };
    const server = await FaultServer.start();
    const streams: ServerResponse[] = [];
    server.on(STREAM, (_req, res) => {
      openSse(res);
      streams.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
      for (let r = 2; r <= 20; r++)
        res.write(sseEvent('patch', { revision: r, changes: [{ op: 'flag', flag: { key: 'on', enabled: r % 2 === 0 } }] }, r));
    });
    const client = testClient({ url: server.url, cacheFile, fileSystem: fs }, clients);
    await waitUntil(() => client.revision === 20, 2000, 'all patches');
    await client.close();
    for (const res of streams) res.destroy();
    await server.close();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c === 'write temp' || c === 'rename temp -> CACHE')).toBe(true);
    // Coalesced: far fewer writes than updates, and the last one is the newest revision.
    expect(calls.filter((c) => c === 'write temp').length).toBeLessThan(20);
    expect(JSON.parse(await readFile(cacheFile, 'utf8')).snapshot.revision).toBe(20);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('survives a cache it cannot write: a warning, the temporary file removed, evaluation unaffected', async () => {
    const logger = memoryLogger();
    const removed: string[] = [];
    const fs: FileSystem = {
      ...nodeFileSystem,
      rename: async () => {
        throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      },
      unlink: async (p) => {
        removed.push(p);
        await nodeFileSystem.unlink(p);
      },
    };
    const server = await FaultServer.start();
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
    });
    const client = testClient({ url: server.url, cacheFile, fileSystem: fs, logger }, clients);
    await client.ready({ timeoutMs: 2000 });
    await client.close();
    await server.close();
    expect(client.isEnabled('on', {})).toBe(true);
    expect(logger.at('warn').some((m) => m.includes('cannot be written'))).toBe(true);
    expect(removed).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  /** A cache file as the client writes it, for a client of `url` with the test key. */
  async function craftCache(url: string, revision: number): Promise<void> {
    const file = { format: 'switchboard-sdk-cache', version: 1, savedAt: new Date().toISOString(), source: cacheSource(url, 'sbs_test') };
    await writeFile(cacheFile, JSON.stringify({ ...file, snapshot: snapshot(revision, [FLAG_ON, { key: 'beta', enabled: true }]) }));
  }

  it('starts from the cache while the server is down, and moves to server data when it is back', async () => {
    const url = await deadUrl();
    await craftCache(url, 3);
    const changes: ChangeEvent[] = [];
    const client = testClient({ url, cacheFile }, clients).on('change', (e) => changes.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.source).toBe('cache');

    const back = await FaultServer.start(Number(new URL(url).port));
    back.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(9, [FLAG_ON]), 9));
    });
    await waitUntil(() => client.source === 'server', 3000, 'server data');
    expect(client.revision).toBe(9);
    expect(changes).toEqual([{ flags: ['beta'], revision: 9, source: 'server' }]);
    await client.close();
    await back.close();
  });

  it('is not used when the server answers at start', async () => {
    const server = await FaultServer.start();
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(9, [FLAG_ON]), 9));
    });
    await craftCache(server.url, 3);
    const changes: ChangeEvent[] = [];
    const client = testClient({ url: server.url, cacheFile }, clients).on('change', (e) => changes.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.source).toBe('server');
    expect(client.revision).toBe(9);
    expect(changes).toEqual([]);
    await client.close();
    await server.close();
  });

  it('is taken at once by an offline client, whatever wrote it', async () => {
    await writeCacheFromServer(3);
    const offline = testClient({ offline: true, cacheFile }, clients);
    expect(await offline.ready({ timeoutMs: 1000 })).toBe(true);
    expect(offline.revision).toBe(3);
  });
});
