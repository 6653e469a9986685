import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ActivityEvent } from '../../bus/bus.ts';
import { AppError, ErrorCode } from '../../errors.ts';
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
  // Streams per person (a token counts as its owner), so one account cannot hold every slot.
  const perUser = new Map<string, number>();
  const { maxActivityStreams, maxActivityStreamsPerUser } = app.config;
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
      send(res, HEARTBEAT.raw);
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
      const actor = actorOf(request);
      const who = actor.userId ?? `${actor.kind}:${actor.id}`;
      const held = perUser.get(who) ?? 0;
      // Checked and counted with no await in between, so concurrent opens cannot overshoot.
      if (open.size >= maxActivityStreams || held >= maxActivityStreamsPerUser) {
        reply.header('retry-after', '10');
        throw new AppError(429, ErrorCode.RateLimited, 'Too many live activity streams open; close some tabs', {
          limit: held >= maxActivityStreamsPerUser ? 'user' : 'replica',
        });
      }
      perUser.set(who, held + 1);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      open.set(res, { request, seesPeople: seesPeople(actor) });
      request.raw.socket.setNoDelay(true);
      res.on('close', () => {
        open.delete(res);
        const left = (perUser.get(who) ?? 1) - 1;
        if (left > 0) perUser.set(who, left);
        else perUser.delete(who);
      });
    },
  );
};
