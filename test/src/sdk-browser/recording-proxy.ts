import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  /** Request body and every response byte, streams included, as text. */
  sent: string;
  received: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  /** Everything that crossed the proxy, both ways, URLs included. */
  traffic(): string;
  /** Sends new requests to another upstream (exchanges already open stay where they are). */
  retarget(target: string): void;
  close(): Promise<void>;
}

/**
 * Stands between the page and the Switchboard server and keeps a copy of every byte both ways,
 * Server-Sent Events included (passed on chunk by chunk, so streaming still works). Upstream
 * down means 502, as a load balancer would answer.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  let upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const ex: Exchange = { method: req.method ?? 'GET', url: req.url ?? '/', status: 0, sent: '', received: '' };
    exchanges.push(ex);
    req.on('data', (c: Buffer) => {
      ex.sent += c.toString('utf8');
    });
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        agent: false,
      },
      (up) => {
        ex.status = up.statusCode ?? 0;
        res.writeHead(ex.status, up.headers);
        res.flushHeaders();
        up.on('data', (c: Buffer) => {
          ex.received += c.toString('utf8');
          res.write(c);
        });
        up.on('end', () => res.end());
        up.on('error', () => res.destroy());
      },
    );
    out.on('error', () => {
      ex.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'access-control-allow-origin': '*' }).end();
      else res.destroy();
    });
    req.pipe(out);
    res.on('close', () => out.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    traffic: () => exchanges.map((e) => `${e.method} ${e.url}\n${e.sent}\n${e.received}`).join('\n'),
    retarget: (next) => {
      upstream = new URL(next);
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
