import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor, PAGE_DEFAULT, pageOf } from '../../http/paging.ts';
import { errorResponses } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { overrideOf } from './guard.ts';
import {
  ApplyBody,
  ChangeRequest,
  ChangeRequestList,
  ChangeRequestParams,
  CreateChangeRequestBody,
  ListChangeRequestsQuery,
  RebaseBody,
  ReviewBody,
} from './schemas.ts';
import {
  applyChangeRequest,
  createChangeRequest,
  getChangeRequest,
  listChangeRequestViews,
  rebaseChangeRequest,
  reviewChangeRequest,
  withdrawChangeRequest,
} from './service.ts';

export const changeRequestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['change-requests'];

  app.get(
    '/change-requests',
    {
      config: { role: 'viewer' },
      schema: { tags, querystring: ListChangeRequestsQuery, response: { 200: ChangeRequestList, ...errorResponses } },
    },
    async (request) => {
      const { limit: asked, cursor, ...filter } = request.query;
      const limit = asked ?? PAGE_DEFAULT;
      const after = decodeCursor(cursor, 'created-desc', ['time', 'uuid']);
      const rows = await listChangeRequestViews(app.db, actorOf(request), filter, { limit, after });
      const page = pageOf(rows, limit, (r) => encodeCursor('created-desc', [r.at, r.row.id]));
      return { items: page.rows.map((r) => r.view), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/change-requests',
    { config: { role: 'editor' }, schema: { tags, body: CreateChangeRequestBody, response: { 201: ChangeRequest, ...errorResponses } } },
    async (request, reply) => reply.status(201).send(await createChangeRequest(deps, actorOf(request), request.body)),
  );

  app.get(
    '/change-requests/:id',
    { config: { role: 'viewer' }, schema: { tags, params: ChangeRequestParams, response: { 200: ChangeRequest, ...errorResponses } } },
    async (request) => getChangeRequest(app.db, request.params.id),
  );

  app.post(
    '/change-requests/:id/reviews',
    {
      config: { role: 'editor' },
      schema: { tags, params: ChangeRequestParams, body: ReviewBody, response: { 200: ChangeRequest, ...errorResponses } },
    },
    async (request) => reviewChangeRequest(deps, actorOf(request), request.params.id, request.body.decision, request.body.comment),
  );

  app.post(
    '/change-requests/:id/apply',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        description:
          'Applies an approved request once, in one transaction with the change. Admins may send X-Freeze-Override during a freeze.',
        params: ChangeRequestParams,
        body: ApplyBody,
        response: { 200: ChangeRequest, ...errorResponses },
      },
    },
    async (request) => applyChangeRequest(deps, actorOf(request), request.params.id, request.body.version, overrideOf(request)),
  );

  app.post(
    '/change-requests/:id/rebase',
    {
      config: { role: 'editor' },
      schema: { tags, params: ChangeRequestParams, body: RebaseBody, response: { 200: ChangeRequest, ...errorResponses } },
    },
    async (request) => rebaseChangeRequest(deps, actorOf(request), request.params.id, request.body.baseVersion, request.body.change),
  );

  app.post(
    '/change-requests/:id/withdraw',
    { config: { role: 'editor' }, schema: { tags, params: ChangeRequestParams, response: { 200: ChangeRequest, ...errorResponses } } },
    async (request) => withdrawChangeRequest(deps, actorOf(request), request.params.id),
  );
};
