import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NotFoundError } from '../../errors.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, pageOf } from '../../http/paging.ts';
import { errorResponses } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { findEnvironment } from '../environments/store.ts';
import { CreatedSdkKey, CreateKeyBody, KeyParams, ListKeysQuery, SdkKey } from './schemas.ts';
import { createKey, keyView, revokeKey } from './service.ts';
import { listKeys } from './store.ts';

export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['keys'];

  app.get(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        querystring: ListKeysQuery,
        response: { 200: Type.Object({ keys: Type.Array(SdkKey), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const { environment } = request.query;
      // An unknown environment is a mistake worth telling apart from one without keys.
      if (environment !== undefined && !(await findEnvironment(app.db, environment))) throw new NotFoundError(`Environment ${environment}`);
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'environment-created', ['string', 'time', 'uuid']);
      const page = pageOf(await listKeys(app.db, environment, { limit, after }), limit, (k) =>
        encodeCursor('environment-created', [k.row.environmentKey, k.at, k.row.id]),
      );
      return { keys: page.rows.map((k) => keyView(k.row)), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/keys',
    { config: { role: 'admin' }, schema: { tags, body: CreateKeyBody, response: { 201: CreatedSdkKey, ...errorResponses } } },
    async (request, reply) => {
      const { row, secret } = await createKey(deps, actorOf(request), request.body);
      return reply.status(201).send({ ...keyView(row), secret });
    },
  );

  app.delete(
    '/keys/:id',
    { config: { role: 'admin' }, schema: { tags, params: KeyParams, response: { 200: SdkKey, ...errorResponses } } },
    async (request) => keyView(await revokeKey(deps, actorOf(request), request.params.id)),
  );
};
