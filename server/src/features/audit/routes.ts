import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor, NextCursor, PageQuery, pageOf } from '../../http/paging.ts';
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
const AuditPage = Type.Object({
  entries: Type.Array(AuditEntry),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'The id cursor of older clients; `nextCursor` says the same' }),
  nextCursor: NextCursor,
});
const Paging = {
  before: Type.Optional(
    Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Id cursor: entries older than this one' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: PageQuery.cursor,
};

/** The id below which entries are listed: from `cursor` or the older `before`. */
function beforeOf(query: { before?: number | undefined; cursor?: string | undefined }): number | undefined {
  const [id] = (decodeCursor(query.cursor, 'id-desc', ['number']) ?? []) as number[];
  return id ?? query.before;
}

function page(all: AuditRow[], limit: number) {
  const { rows, nextCursor } = pageOf(all, limit, (r) => encodeCursor('id-desc', [r.id]));
  return {
    nextCursor,
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
    nextBefore: nextCursor === null ? null : (rows[rows.length - 1]?.id ?? null),
  };
}

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['audit'];
  // The redaction itself is the admin scope's (plugins/people-redaction.ts).
  const description = "Newest first. Viewers and editors see users' display names instead of their emails, and no login addresses.";
  app.get(
    '/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        description,
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
      return page(await listAudit(app.db, { ...request.query, before: beforeOf(request.query), limit: limit + 1 }), limit);
    },
  );

  app.get(
    '/flags/:key/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        description,
        params: Type.Object({ key: Key }),
        querystring: Type.Object({ environment: Type.Optional(Key), ...Paging }, { additionalProperties: false }),
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      return page(
        await listAudit(app.db, {
          ...request.query,
          before: beforeOf(request.query),
          resourceType: 'flag',
          resourceKey: request.params.key,
          limit: limit + 1,
        }),
        limit,
      );
    },
  );
};
