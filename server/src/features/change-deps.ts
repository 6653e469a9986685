import type { FastifyInstance } from 'fastify';
import type { ChangeDeps } from '../domain/changes.ts';

/** What a feature's service needs to commit a change and announce it. */
export function changeDeps(app: FastifyInstance): ChangeDeps {
  return {
    db: app.db,
    onCommitted: async (bump) => {
      app.metrics.flagChanges.inc({ environment: bump.environment });
      await app.bus.publish(bump);
    },
  };
}
