import { connect as tcpConnect } from 'node:net';

/**
 * The client side of `pnpm bench:fanout`, in its own process so the server's figures are its own:
 * holds N SSE streams and notes when each patch revision reaches each of them. Plain TCP sockets
 * and byte scanning keep the load generator light, so it measures the server and not itself.
 * Talks to the parent over IPC: `{ type: 'connected', count }`, then on `{ type: 'report', sentAt }`
 * answers `{ type: 'delays', delays, missing, open, firstByRevision }` (per revision, this process's
 * earliest receipt).
 */

const [url, key, countArg] = process.argv.slice(2);
const count = Number(countArg);
const target = new URL('/api/sdk/stream', url);
/** revision -> arrival times (ms since epoch, fractional) of its patch at each client */
const arrivals = new Map<number, number[]>();
let open = 0;
let failed = 0;
const PATCH = Buffer.from('event: patch');
const SNAPSHOT = Buffer.from('event: snapshot');
const ID = Buffer.from('id: ');

function now(): number {
  return performance.timeOrigin + performance.now();
}

function record(chunk: Buffer, at: number): void {
  // A chunk may carry several events; each patch starts with its `id:` line.
  let from = 0;
  for (;;) {
    const idAt = chunk.indexOf(ID, from);
    if (idAt < 0) return;
    const lineEnd = chunk.indexOf(10, idAt);
    const next = chunk.indexOf(PATCH, idAt);
    if (next >= 0 && next === lineEnd + 1) {
      const revision = Number(chunk.toString('latin1', idAt + ID.length, lineEnd));
      let list = arrivals.get(revision);
      if (!list) {
        list = [];
        arrivals.set(revision, list);
      }
      list.push(at);
    }
    from = lineEnd < 0 ? chunk.length : lineEnd;
  }
}

// One read buffer for every socket: `onread` hands data to the callback without allocating.
const readBuffer = Buffer.alloc(64 * 1024);

function connect(): Promise<void> {
  return new Promise((resolve) => {
    let ready = false;
    const socket = tcpConnect({
      port: Number(target.port),
      host: target.hostname,
      onread: {
        buffer: readBuffer,
        callback(nread: number, buf: Uint8Array) {
          const at = now();
          const chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
          if (ready) {
            record(chunk, at);
          } else if (chunk.indexOf(SNAPSHOT) >= 0) {
            ready = true;
            open++;
            resolve();
          } else if (chunk.indexOf('HTTP/1.1') === 0 && chunk.indexOf('HTTP/1.1 200') !== 0) {
            failed++;
            socket.destroy();
            resolve();
          }
          return true;
        },
      },
    });
    socket.on('connect', () => {
      socket.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: ${key}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.on('error', () => {
      if (!ready) {
        failed++;
        resolve();
      }
    });
    socket.on('close', () => {
      if (ready) open--;
    });
  });
}

for (let i = 0; i < count; i += 250) {
  await Promise.all(Array.from({ length: Math.min(250, count - i) }, connect));
}
process.send?.({ type: 'connected', count: open, failed });

process.on('message', (m: { type: string; sentAt?: Record<string, number> }) => {
  if (m.type !== 'report' || !m.sentAt) return;
  const delays: number[] = [];
  const firstByRevision: Record<string, number> = {};
  let missing = 0;
  for (const [rev, sentAt] of Object.entries(m.sentAt)) {
    const list = arrivals.get(Number(rev)) ?? [];
    missing += open - list.length;
    for (const t of list) delays.push(t - sentAt);
    if (list.length > 0) firstByRevision[rev] = Math.min(...list) - sentAt;
  }
  process.send?.({ type: 'delays', delays, missing, open, firstByRevision }, () => process.exit(0));
});
