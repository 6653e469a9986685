import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { authenticate } from '../../plugins/auth.ts';
import { HEARTBEAT } from '../delivery/stream-connection.ts';

const MAX_BUFFER = 256 * 1024;

/**
 * `GET /api/admin/stream`: server-sent `activity` events for the admin UI, one per audited write on
 * any replica, so two people editing see each other's changes as they happen.
 */
export const activityRoutes: FastifyPluginAsync = async (app) => {
  // Each listener with the request that opened it, so its credentials can be checked again.
  const open = new Map<ServerResponse, FastifyRequest>();
  const send = (res: ServerResponse, chunk: string | Buffer) => {
    // A tab that stopped reading is dropped, not buffered for.
    if (res.writableLength > MAX_BUFFER) res.destroy();
    else res.write(chunk);
  };
  const unsubscribe = app.bus.subscribe('activity', (event) => {
    const chunk = `event: activity\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of open.keys()) send(res, chunk);
  });
  // With every heartbeat, listeners whose session ended or token was revoked are let go.
  const heartbeat = setInterval(() => {
    for (const [res, request] of open) {
      send(res, HEARTBEAT);
      authenticate(request).then(
        (actor) => {
          if (!actor) res.end();
        },
        () => res.end(),
      );
    }
  }, app.config.heartbeatMs);
  heartbeat.unref();
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    unsubscribe();
    for (const res of open.keys()) res.end('retry: 3000\nevent: reconnect\ndata: {}\n\n');
  });

  app.get(
    '/stream',
    { config: { role: 'viewer' }, schema: { tags: ['admin'], description: 'Server-sent `activity` events for live admin views' } },
    async (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      open.set(res, request);
      request.raw.socket.setNoDelay(true);
      res.on('close', () => open.delete(res));
    },
  );
};
