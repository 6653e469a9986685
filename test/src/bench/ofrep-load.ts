import { createRequire } from 'node:module';

/**
 * The load generator of `bench:ofrep`, in a process of its own (so it never shares the server's
 * event loop): autocannon posting pre-built bulk evaluation bodies, one after the other, on
 * keep-alive connections. Input: JSON on stdin; output: one JSON line on stdout.
 */

interface LoadInput {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  seconds: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}

type Autocannon = (
  options: Record<string, unknown>,
  callback: (err: Error | null, result: AutocannonResult) => void,
) => { on(event: string, fn: () => void): void };

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
let text = '';
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text) as LoadInput;
let next = 0;

autocannon(
  {
    url: input.url,
    method: 'POST',
    connections: input.connections,
    duration: input.seconds,
    headers: input.headers,
    requests: [
      {
        setupRequest: (request: Record<string, unknown>) => {
          const body = input.bodies[next++ % input.bodies.length];
          return { ...request, body };
        },
      },
    ],
  },
  (err, result) => {
    if (err) {
      console.error(err.message);
      process.exit(1);
    }
    process.stdout.write(
      `${JSON.stringify({
        requestsPerSecond: result.requests.total / result.duration,
        total: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        bytesPerSecond: result.throughput.average,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
      })}\n`,
    );
  },
);
