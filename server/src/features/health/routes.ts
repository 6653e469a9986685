import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

/**
 * Liveness (the process answers; `/healthz` stays 200 through a database outage, so an orchestrator
 * does not restart replicas that would only find the same outage) and readiness (the database
 * answers and every feature's condition holds, e.g. delivery could confirm its revision).
 */
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
    const problem = app.readiness.problem();
    if (problem !== null) return reply.status(503).send({ status: problem });
    try {
      await app.database.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
};
