import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

/** Liveness (the process answers) and readiness (the database answers too). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const Status = Type.Object({ status: Type.String() });
  // A replica on its way out says so, so load balancers stop sending it new streams.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Status, 503: Status } } }, async (request, reply) => {
    if (closing) return reply.status(503).send({ status: 'shutting down' });
    try {
      await app.database.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
};
