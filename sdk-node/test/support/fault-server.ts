import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
  socket: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, info: { n: number; body: string; request: RecordedRequest }) => void;

interface SocketRecord {
  id: number;
  socket: Socket;
  requests: number;
  closed: boolean;
}

/**
 * A real HTTP server on a real port whose answers each test scripts: statuses, headers, SSE events
 * sent when the test wants, silence, cut connections. It records every request and every socket,
 * so a test can see what the client asked for and whether it hung up.
 */
export class FaultServer {
  readonly requests: RecordedRequest[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly counts = new Map<string, number>();
  private readonly sockets: SocketRecord[] = [];
  private readonly server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      const record: SocketRecord = { id: this.sockets.length, socket, requests: 0, closed: false };
      this.sockets.push(record);
      socket.on('close', () => {
        record.closed = true;
      });
    });
  }

  /** On `port` when given (to bring a server back where it was), else on any free port. */
  static async start(port = 0): Promise<FaultServer> {
    const s = new FaultServer();
    await new Promise<void>((resolve) => s.server.listen(port, '127.0.0.1', resolve));
    const address = s.server.address();
    s.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return s;
  }

  /** Scripts the answers to one path; unscripted paths get 404. */
  on(path: string, handler: Handler): this {
    this.handlers.set(path, handler);
    return this;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Sockets that carried a request and are still open. */
  openRequestSockets(): number {
    return this.sockets.filter((s) => s.requests > 0 && !s.closed).length;
  }

  /** Server-side sockets still open: they are this process's handles too, not the client's. */
  openSockets(): number {
    return this.sockets.filter((s) => !s.closed).length;
  }

  /** Cuts every connection at once, as a crashing server would. */
  dropConnections(): void {
    for (const s of this.sockets) s.socket.destroy();
  }

  /** Closes sockets that never carried a request (Node's fetch may open a spare one), including any that arrive meanwhile. */
  async closeIdleSockets(): Promise<void> {
    const idle = () => this.sockets.filter((s) => s.requests === 0 && !s.closed);
    await waitUntil(
      () => {
        for (const s of idle()) s.socket.destroy();
        return idle().length === 0;
      },
      2000,
      'idle sockets to close',
    );
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const socket = this.sockets.find((s) => s.socket === req.socket);
    if (socket) socket.requests++;
    let body = '';
    for await (const chunk of req) body += chunk;
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: Date.now(),
      socket: socket?.id ?? -1,
    };
    this.requests.push(request);
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    const handler = this.handlers.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
      return;
    }
    try {
      handler(req, res, { n, body, request });
    } catch (error) {
      res.destroy(error as Error);
    }
  }
}

/** Starts an SSE response. */
export function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

export function sseEvent(event: string, data: unknown, id?: number): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${text}\n\n`;
}

export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
