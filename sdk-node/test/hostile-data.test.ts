import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChangeEvent, type SwitchboardClient, type SwitchboardError, SwitchboardErrorCode } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { FLAG_OFF, FLAG_ON, snapshot, testClient } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';
const SNAPSHOT = '/api/sdk/snapshot';
const GOOD = snapshot(10, [FLAG_ON, FLAG_OFF]);

/**
 * Whatever arrives (a bug, a proxy, an attacker between client and server), the client keeps
 * serving its last good data, never applies part of a payload, and recovers by reconnecting.
 */
describe('hostile data on the stream', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  const open: ServerResponse[] = [];
  let errors: SwitchboardError[];
  let changes: ChangeEvent[];
  beforeEach(async () => {
    server = await FaultServer.start();
    errors = [];
    changes = [];
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const res of open.splice(0)) res.destroy();
    await server.close();
  });

  /** First connection: the good snapshot, then `hostile`; later connections: the good snapshot, kept open. */
  function script(hostile: (res: ServerResponse) => void): void {
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', GOOD, GOOD.revision));
      if (n === 1) setTimeout(() => hostile(res), 20);
    });
  }

  async function connected(): Promise<SwitchboardClient> {
    const client = testClient({ url: server.url }, clients)
      .on('error', (e) => errors.push(e))
      .on('change', (e) => changes.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    return client;
  }

  it('rejects malformed JSON, reconnects for a fresh snapshot, and keeps serving the last good data', async () => {
    script((res) => res.write(sseEvent('patch', '{"revision": 11, "changes": [{"op": "flag", "flag": {"key": "on", "enab', 11)));
    const client = await connected();
    await waitUntil(() => server.requestsTo(STREAM).length === 2, 2000, 'the reconnect');
    expect(errors.map((e) => e.code)).toEqual([SwitchboardErrorCode.InvalidData]);
    // After bad data, no resume into the same data: a full snapshot.
    expect(server.requestsTo(STREAM)[1]?.headers['last-event-id']).toBeUndefined();
    expect(client.revision).toBe(10);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(changes).toEqual([]);
  });

  it('rejects a patch whole when any change in it is invalid: nothing of it is applied', async () => {
    script((res) =>
      res.write(
        sseEvent(
          'patch',
          {
            revision: 11,
            changes: [
              { op: 'flag', flag: { key: 'on', enabled: false } },
              { op: 'flag', flag: { key: 'off', enabled: 'yes please' } },
            ],
          },
          11,
        ),
      ),
    );
    const client = await connected();
    await waitUntil(() => errors.length === 1, 2000, 'the rejection');
    expect(errors[0]?.code).toBe(SwitchboardErrorCode.InvalidData);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.revision).toBe(10);
    expect(changes).toEqual([]);
  });

  it('rejects a snapshot that is not one (flags missing), keeping the data held', async () => {
    script((res) => res.write(sseEvent('snapshot', { environment: 'production', revision: 50 }, 50)));
    const client = await connected();
    await waitUntil(() => errors.length === 1, 2000, 'the rejection');
    expect(client.revision).toBe(10);
    expect(client.isEnabled('on', {})).toBe(true);
  });

  it('ignores a patch for a revision it already has, and stays connected', async () => {
    script((res) => {
      res.write(sseEvent('patch', { revision: 9, changes: [{ op: 'flag', flag: { key: 'on', enabled: false } }] }, 9));
      res.write(sseEvent('patch', { revision: 10, changes: [{ op: 'flag', flag: { key: 'on', enabled: false } }] }, 10));
      res.write(sseEvent('patch', { revision: 11, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] }, 11));
    });
    const client = await connected();
    await waitUntil(() => client.revision === 11, 2000, 'the newer patch');
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.isEnabled('off', {})).toBe(true);
    expect(changes.map((c) => c.flags)).toEqual([['off']]);
    expect(errors).toEqual([]);
    expect(server.requestsTo(STREAM)).toHaveLength(1);
  });

  it('resynchronizes from a snapshot when a patch skips a revision (one was lost)', async () => {
    script((res) => res.write(sseEvent('patch', { revision: 12, changes: [{ op: 'flag', flag: { key: 'on', enabled: false } }] }, 12)));
    const client = await connected();
    await waitUntil(() => server.requestsTo(STREAM).length === 2, 2000, 'the resync');
    expect(server.requestsTo(STREAM)[1]?.headers['last-event-id']).toBeUndefined();
    expect(client.isEnabled('on', {})).toBe(true);
    expect(errors[0]?.message).toMatch(/does not follow revision 10/);
  });

  it('ignores events it does not know, and comments, and stays connected', async () => {
    script((res) => {
      res.write(sseEvent('flag-shuffle', { anything: [1, 2, 3] }, 11));
      res.write('data: a message without an event name\n\n');
      res.write(': just a comment\n\n');
      res.write('unknown-field: whatever\n\n');
      res.write(sseEvent('patch', { revision: 11, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] }, 11));
    });
    const client = await connected();
    await waitUntil(() => client.revision === 11, 2000, 'the patch after them');
    expect(errors).toEqual([]);
    expect(server.requestsTo(STREAM)).toHaveLength(1);
  });

  it('drops the connection on a 10 MB event (bound: 5 MB), keeps its data, and reconnects', async () => {
    let bytesWritten = 0;
    script((res) => {
      // One event that never ends: 10 MB of data in 64 KB lines, written as fast as the socket takes it.
      res.write('event: patch\nid: 11\ndata: {"revision":11,"changes":[{"op":"flag","flag":{"key":"on","enabled":false,"pad":"');
      const line = `${'x'.repeat(64 * 1024)}\n`;
      const pump = () => {
        while (bytesWritten < 10 * 1024 * 1024 && !res.destroyed) {
          bytesWritten += line.length;
          if (!res.write(`data: ${line}`)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const client = await connected();
    await waitUntil(() => errors.length === 1, 5000, 'the cut');
    expect(errors[0]?.code).toBe(SwitchboardErrorCode.TooLarge);
    await waitUntil(() => server.requestsTo(STREAM).length === 2, 2000, 'the reconnect');
    // The client hung up well before the server had written it all.
    expect(bytesWritten).toBeLessThan(10 * 1024 * 1024);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.revision).toBe(10);
  });

  it('takes a large event under the bound (a big environment)', async () => {
    const flags = Array.from({ length: 5000 }, (_, i) => ({
      key: `flag-${i}`,
      enabled: true,
      rules: [{ id: 'r', conditions: [{ attribute: 'userId', operator: 'IN' as const, values: [`user-${i}`] }] }],
    }));
    server.on(STREAM, (_req, res) => {
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, flags), 1));
    });
    const client = testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 3000 })).toBe(true);
    expect(client.isEnabled('flag-4999', { userId: 'user-4999' })).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('hostile data on a poll', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('rejects a malformed or oversized snapshot and keeps polling', async () => {
    server.on(SNAPSHOT, (_req, res, { n }) => {
      if (n === 1) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"revision": 1, "flags": [');
      if (n === 2) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...snapshot(2, [FLAG_ON]), pad: 'y'.repeat(2 * 1024 * 1024) }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: '"3"' }).end(JSON.stringify(snapshot(3, [FLAG_ON])));
    });
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url, mode: 'poll', pollIntervalMs: 100, maxEventBytes: 1024 * 1024 }, clients).on(
      'error',
      (e) => errors.push(e),
    );
    expect(await client.ready({ timeoutMs: 3000 })).toBe(true);
    expect(client.revision).toBe(3);
    expect(errors.map((e) => e.code)).toEqual([SwitchboardErrorCode.InvalidData, SwitchboardErrorCode.TooLarge]);
  });
});
