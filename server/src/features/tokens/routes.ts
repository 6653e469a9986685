import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { CreatedToken, CreateTokenBody, Token, TokenParams } from './schemas.ts';
import { createToken, revokeToken, tokenView } from './service.ts';
import { listTokens } from './store.ts';

export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['tokens'];

  app.get(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ tokens: Type.Array(Token), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'created-desc', ['time', 'uuid']);
      const page = pageOf(await listTokens(app.db, { limit, after }), limit, (t) => encodeCursor('created-desc', [t.at, t.row.id]));
      return { tokens: page.rows.map((t) => tokenView(t.row)), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/tokens',
    { config: { role: 'admin' }, schema: { tags, body: CreateTokenBody, response: { 201: CreatedToken, ...errorResponses } } },
    async (request, reply) => {
      const { row, secret } = await createToken(deps, actorOf(request), request.body);
      return reply.status(201).send({ ...tokenView(row), secret });
    },
  );

  app.delete(
    '/tokens/:id',
    { config: { role: 'admin' }, schema: { tags, params: TokenParams, response: { 200: Token, ...errorResponses } } },
    async (request) => tokenView(await revokeToken(deps, actorOf(request), request.params.id)),
  );
};
