import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export interface Metrics {
  registry: Registry;
  flagChanges: Counter<'environment'>;
  connectedStreams: Gauge<'kind'>;
  streamFanout: Histogram;
}

/** Prometheus metrics at /metrics: requests, latencies, streams, flag changes, process. */
export const metricsPlugin = fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const requests = new Counter({
      name: 'switchboard_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const flagChanges = new Counter({
      name: 'switchboard_flag_changes_total',
      help: 'Committed changes per environment (revision bumps)',
      labelNames: ['environment'] as const,
      registers: [registry],
    });
    const connectedStreams = new Gauge({
      name: 'switchboard_connected_streams',
      help: 'Open SDK streams by key kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
    const streamFanout = new Histogram({
      name: 'switchboard_stream_fanout_seconds',
      help: 'Time to write one turn of patches to every open stream of an environment',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    app.decorate('metrics', { registry, flagChanges, connectedStreams, streamFanout });
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, not the URL, so label cardinality stays bounded.
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);
