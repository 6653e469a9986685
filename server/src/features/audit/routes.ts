import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, Key, Timestamp } from '../../http/schemas.ts';
import { type AuditRow, listAudit } from './store.ts';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  actor: Type.String(),
  actorName: Type.String(),
  action: Type.String(),
  resourceType: Type.String(),
  resourceKey: Type.String(),
  environment: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
  createdAt: Timestamp,
});
const AuditPage = Type.Object({ entries: Type.Array(AuditEntry), nextBefore: Type.Union([Type.Integer(), Type.Null()]) });
const Paging = {
  before: Type.Optional(
    Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Id cursor: entries older than this one' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
};

function page(rows: AuditRow[], limit: number) {
  return {
    entries: rows.map((r) => ({
      id: r.id,
      actor: r.actor,
      actorName: r.actorName,
      action: r.action,
      resourceType: r.resourceType,
      resourceKey: r.resourceKey,
      environment: r.environmentKey,
      before: r.before,
      after: r.after,
      createdAt: r.createdAt.toISOString(),
    })),
    nextBefore: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
  };
}

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['audit'];
  app.get(
    '/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: Type.Object(
          {
            resourceType: Type.Optional(Type.String({ maxLength: 50 })),
            resourceKey: Type.Optional(Key),
            environment: Type.Optional(Key),
            ...Paging,
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      return page(await listAudit(app.db, { ...request.query, limit }), limit);
    },
  );

  app.get(
    '/flags/:key/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        params: Type.Object({ key: Key }),
        querystring: Type.Object({ environment: Type.Optional(Key), ...Paging }, { additionalProperties: false }),
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      return page(await listAudit(app.db, { ...request.query, resourceType: 'flag', resourceKey: request.params.key, limit }), limit);
    },
  );
};
