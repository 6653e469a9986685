import type { FastifyInstance } from 'fastify';
import type { ChangeDeps } from '../domain/changes.ts';
import { USER_RESOURCE } from '../plugins/auth.ts';
import { webhookDeliveriesStatement } from './webhooks/outbox.ts';

/** What a feature's service needs to commit a change and announce it. */
export function changeDeps(app: FastifyInstance): ChangeDeps {
  return {
    db: app.db,
    onCommitted: async (bump) => {
      app.metrics.flagChanges.inc({ environment: bump.environment });
      await app.bus.publish('revision', bump);
    },
    onActivity: async (entry, actor) => {
      // A log-out, a disabled user or a new role holds on this replica from the next request.
      if (entry.resourceType === USER_RESOURCE) app.sessionCache.clear();
      await app.bus.publish('activity', {
        action: entry.action,
        resourceType: entry.resourceType,
        resourceKey: entry.resourceKey,
        environment: entry.environmentKey ?? null,
        actor: actor.name,
        at: new Date().toISOString(),
      });
    },
    auditedStatement: webhookDeliveriesStatement,
  };
}
