import { createServer, request, type Server } from 'node:http';

/**
 * A round-robin load balancer on a real port: each request goes to the next replica in turn,
 * streamed both ways, as an L7 balancer in front of server replicas does.
 */
export class RoundRobin {
  url = '';
  /** A turn per path, so that streams and polls each alternate however they interleave. */
  private readonly turns = new Map<string, number>();
  private readonly server: Server;

  private constructor(private readonly replicas: string[]) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const turn = this.turns.get(path) ?? 0;
      this.turns.set(path, turn + 1);
      const target = new URL(req.url ?? '/', this.replicas[turn % this.replicas.length]);
      const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  }

  static async start(replicas: string[]): Promise<RoundRobin> {
    const b = new RoundRobin(replicas);
    await new Promise<void>((resolve) => b.server.listen(0, '127.0.0.1', resolve));
    const address = b.server.address();
    b.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return b;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
