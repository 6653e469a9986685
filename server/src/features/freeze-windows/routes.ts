import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireVersion } from '../../domain/versions.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { EnvironmentParams } from '../environments/schemas.ts';
import { CreateFreezeWindowBody, FreezeWindow, FreezeWindowParams, UpdateFreezeWindowBody } from './schemas.ts';
import { createFreezeWindow, deleteFreezeWindow, listWindows, updateFreezeWindow } from './service.ts';

export const freezeWindowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['freeze-windows'];

  app.get(
    '/environments/:env/freeze-windows',
    {
      config: { role: 'viewer' },
      schema: { tags, params: EnvironmentParams, response: { 200: Type.Object({ items: Type.Array(FreezeWindow) }), ...errorResponses } },
    },
    async (request) => ({ items: await listWindows(app.db, request.params.env) }),
  );

  app.post(
    '/environments/:env/freeze-windows',
    {
      config: { role: 'admin' },
      schema: { tags, params: EnvironmentParams, body: CreateFreezeWindowBody, response: { 201: FreezeWindow, ...errorResponses } },
    },
    async (request, reply) => reply.status(201).send(await createFreezeWindow(deps, actorOf(request), request.params.env, request.body)),
  );

  app.patch(
    '/environments/:env/freeze-windows/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        params: FreezeWindowParams,
        headers: IfMatchHeaders,
        body: UpdateFreezeWindowBody,
        response: { 200: FreezeWindow, ...errorResponses },
      },
    },
    async (request) => {
      const { version: bodyVersion, ...input } = request.body;
      const version = requireVersion(request.headers['if-match'], bodyVersion);
      return updateFreezeWindow(deps, actorOf(request), request.params.env, request.params.id, version, input);
    },
  );

  app.delete(
    '/environments/:env/freeze-windows/:id',
    { config: { role: 'admin' }, schema: { tags, params: FreezeWindowParams, response: { 200: Ok, ...errorResponses } } },
    async (request) => {
      await deleteFreezeWindow(deps, actorOf(request), request.params.env, request.params.id);
      return { ok: true as const };
    },
  );
};
