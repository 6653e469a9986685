import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the relay does to the database behind it:
 * - `pass`: new connections are relayed; those still alive keep flowing.
 * - `refuse`: the port is closed (ECONNREFUSED) and every open connection is cut.
 * - `blackhole`: new connections are accepted and never answered; open ones go silent, unclosed,
 *   as when the network to the database drops packets.
 * - `failover`: open connections go silent (they led to the old primary); new ones are relayed.
 * A connection that went silent stays silent, whatever the mode later: its server is gone.
 */
export const RelayMode = { Pass: 'pass', Refuse: 'refuse', Blackhole: 'blackhole', Failover: 'failover' } as const;
export type RelayMode = (typeof RelayMode)[keyof typeof RelayMode];

export interface TcpRelay {
  port: number;
  readonly mode: RelayMode;
  /** `url` with its host and port replaced by the relay's. */
  urlFor(url: string): string;
  setMode(mode: RelayMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

/** A TCP relay the test owns, in front of `target`, on `127.0.0.1:port` (or a free port). */
export async function startTcpRelay(target: { host: string; port: number }, port = 0): Promise<TcpRelay> {
  let mode: RelayMode = RelayMode.Pass;
  const flowing = new Set<Pair>();
  // Held, never answered, until the relay closes.
  const silent = new Set<Socket>();

  const silence = (pair: Pair) => {
    flowing.delete(pair);
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
    silent.add(pair.client);
    if (pair.upstream) silent.add(pair.upstream);
  };

  const onConnection = (client: Socket) => {
    client.on('error', () => {});
    if (mode === RelayMode.Blackhole) {
      client.pause();
      silent.add(client);
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    flowing.add(pair);
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      upstream.destroy();
      flowing.delete(pair);
    });
    upstream.on('close', () => {
      if (flowing.has(pair)) client.destroy();
      flowing.delete(pair);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        if (typeof address === 'object' && address) port = address.port;
        server = s;
        resolve();
      });
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) resolve();
      else s.close(() => resolve());
    });
  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    urlFor(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async setMode(next: RelayMode) {
      mode = next;
      if (next === RelayMode.Refuse) {
        for (const pair of [...flowing]) {
          flowing.delete(pair);
          pair.client.destroy();
          pair.upstream?.destroy();
        }
        // `close` waits for open connections, silent ones included: those end too.
        for (const s of silent) s.destroy();
        silent.clear();
        await unlisten();
        return;
      }
      if (next === RelayMode.Blackhole || next === RelayMode.Failover) for (const pair of [...flowing]) silence(pair);
      if (server === null) await listen();
    },
    async close() {
      for (const pair of flowing) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      for (const s of silent) s.destroy();
      await unlisten();
    },
  };
}
