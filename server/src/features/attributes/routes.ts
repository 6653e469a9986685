import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { statedVersion } from '../../domain/versions.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, IfMatchHeaders, Timestamp, Version } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { attributeView, putAttribute } from './service.ts';
import { listAttributes } from './store.ts';

const Attribute = Type.Object({
  name: Type.String(),
  description: Type.String(),
  sensitive: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: Timestamp,
});

export const attributeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['attributes'];
  app.get(
    '/attributes',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ attributes: Type.Array(Attribute), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'name', ['string']);
      const page = pageOf(await listAttributes(app.db, { limit, afterName: after?.[0] as string | undefined }), limit, (a) =>
        encodeCursor('name', [a.name]),
      );
      return { attributes: page.rows.map(attributeView), nextCursor: page.nextCursor };
    },
  );

  app.put(
    '/attributes/:name',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        headers: IfMatchHeaders,
        body: Type.Object(
          {
            description: Type.Optional(Type.String({ maxLength: 1000 })),
            sensitive: Type.Optional(Type.Boolean()),
            version: Type.Optional(Version),
          },
          { additionalProperties: false },
        ),
        response: { 200: Attribute, ...errorResponses },
      },
    },
    async (request) => {
      // Creating needs no version; changing an existing attribute does (checked in the service).
      const version = statedVersion(request.headers['if-match'], request.body.version);
      return putAttribute(changeDeps(app), actorOf(request), request.params.name, version, request.body);
    },
  );
};
