import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ActivityEvent } from '../../bus/bus.ts';
import { actorOf, authenticate } from '../../plugins/auth.ts';
import { loadPeopleNames, redactPeople, seesPeople } from '../audit/redact.ts';
import { HEARTBEAT } from '../delivery/stream-connection.ts';

const MAX_BUFFER = 256 * 1024;

/**
 * `GET /api/admin/stream`: server-sent `activity` events for the admin UI, one per audited write on
 * any replica, so two people editing see each other's changes as they happen.
 */
export const activityRoutes: FastifyPluginAsync = async (app) => {
  // Each listener with the request that opened it, so its credentials can be checked again, and
  // whether it may see people's emails (admins) or gets display names instead.
  const open = new Map<ServerResponse, { request: FastifyRequest; seesPeople: boolean }>();
  const send = (res: ServerResponse, chunk: string | Buffer) => {
    // A tab that stopped reading is dropped, not buffered for.
    if (res.writableLength > MAX_BUFFER) res.destroy();
    else res.write(chunk);
  };
  const chunkOf = (event: ActivityEvent) => `event: activity\ndata: ${JSON.stringify(event)}\n\n`;
  // Events go out in order even when a redacted copy needs the users' names first.
  let queue: Promise<void> = Promise.resolve();
  const unsubscribe = app.bus.subscribe('activity', (event) => {
    queue = queue
      .then(async () => {
        const full = chunkOf(event);
        const needsRedacted = [...open.values()].some((l) => !l.seesPeople);
        const redacted = needsRedacted ? chunkOf(redactPeople(event, await loadPeopleNames(app.db))) : full;
        for (const [res, listener] of open) send(res, listener.seesPeople ? full : redacted);
      })
      .catch((err) => app.log.warn({ err }, 'activity event not sent'));
  });
  // With every heartbeat, listeners whose session ended or token was revoked are let go; a role
  // change applies to what they see next. Checking is not using: it does not slide the idle timeout.
  const heartbeat = setInterval(() => {
    for (const [res, listener] of open) {
      send(res, HEARTBEAT);
      authenticate(listener.request, { touch: false }).then(
        (actor) => {
          if (!actor) res.end();
          else listener.seesPeople = seesPeople(actor);
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
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['admin'],
        description: 'Server-sent `activity` events for live admin views; viewers and editors see display names instead of emails',
      },
    },
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
      open.set(res, { request, seesPeople: seesPeople(actorOf(request)) });
      request.raw.socket.setNoDelay(true);
      res.on('close', () => open.delete(res));
    },
  );
};
