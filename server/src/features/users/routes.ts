import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { hashSecret } from '../../domain/secrets.ts';
import { requireVersion } from '../../domain/versions.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, IfMatchHeaders } from '../../http/schemas.ts';
import { actorOf, SESSION_COOKIE } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { CreateUserBody, UpdateUserBody, User, UserParams } from './schemas.ts';
import { createUser, disableUser, updateUser, userView } from './service.ts';
import { listUsers } from './store.ts';

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['users'];

  app.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ users: Type.Array(User), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'email', ['string']);
      const page = pageOf(await listUsers(app.db, { limit, afterEmail: after?.[0] as string | undefined }), limit, (u) =>
        encodeCursor('email', [u.email]),
      );
      return { users: page.rows.map(userView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/users',
    { config: { role: 'admin' }, schema: { tags, body: CreateUserBody, response: { 201: User, ...errorResponses } } },
    async (request, reply) => {
      const row = await createUser(deps, actorOf(request), request.body);
      return reply.status(201).send(userView(row));
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { role: 'admin' },
      schema: { tags, params: UserParams, headers: IfMatchHeaders, body: UpdateUserBody, response: { 200: User, ...errorResponses } },
    },
    async (request) => {
      const { version: bodyVersion, ...changes } = request.body;
      const version = requireVersion(request.headers['if-match'], bodyVersion);
      const session = request.cookies[SESSION_COOKIE];
      const row = await updateUser(deps, actorOf(request), request.params.id, changes, version, session ? hashSecret(session) : undefined);
      return userView(row);
    },
  );

  app.delete(
    '/users/:id',
    { config: { role: 'admin' }, schema: { tags, params: UserParams, response: { 200: User, ...errorResponses } } },
    async (request) => userView(await disableUser(deps, actorOf(request), request.params.id)),
  );
};
