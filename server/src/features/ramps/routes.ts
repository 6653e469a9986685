import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, pageOf } from '../../http/paging.ts';
import { errorResponses } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { assertRampWritable, assertWritable } from '../change-requests/guard.ts';
import { AbortBody, CreateRampBody, RampParams, RampQuery, RampView, SignalBody } from './schemas.ts';
import { abortRamp, createRamp, getRamp, pauseRamp, rampView, receiveSignal, resumeRamp, startRamp } from './service.ts';
import { listRamps } from './store.ts';

export const rampRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['ramps'];

  app.get(
    '/ramps',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: RampQuery,
        response: { 200: Type.Object({ ramps: Type.Array(RampView), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit: asked, cursor, ...filter } = request.query;
      const limit = asked ?? PAGE_DEFAULT;
      const after = decodeCursor(cursor, 'created-desc', ['time', 'uuid']);
      const page = pageOf(await listRamps(app.db, filter, { limit, after }), limit, (r) => encodeCursor('created-desc', [r.at, r.row.id]));
      return { ramps: page.rows.map((r) => rampView(r.row)), nextCursor: page.nextCursor };
    },
  );
  app.get(
    '/ramps/:id',
    { config: { role: 'viewer' }, schema: { tags, params: RampParams, response: { 200: RampView, ...errorResponses } } },
    async (request) => getRamp(deps, request.params.id),
  );
  app.post(
    '/ramps',
    { config: { role: 'editor' }, schema: { tags, body: CreateRampBody, response: { 201: RampView, ...errorResponses } } },
    async (request, reply) => {
      await assertWritable(deps, request, [request.body.environment]);
      return reply.status(201).send(await createRamp(deps, actorOf(request), request.body));
    },
  );
  for (const [verb, run] of [
    ['start', startRamp],
    ['pause', pauseRamp],
    ['resume', resumeRamp],
  ] as const) {
    app.post(
      `/ramps/:id/${verb}`,
      { config: { role: 'editor' }, schema: { tags, params: RampParams, response: { 200: RampView, ...errorResponses } } },
      async (request) => {
        // Pausing is the brake: it changes nothing SDKs see, so it needs no approval and works in a freeze.
        if (verb !== 'pause') await assertRampWritable(deps, request, request.params.id);
        return run(deps, actorOf(request), request.params.id);
      },
    );
  }
  app.post(
    '/ramps/:id/abort',
    { config: { role: 'editor' }, schema: { tags, params: RampParams, body: AbortBody, response: { 200: RampView, ...errorResponses } } },
    async (request) => {
      await assertRampWritable(deps, request, request.params.id);
      return abortRamp(deps, actorOf(request), request.params.id, request.body?.to ?? 'previous');
    },
  );
  app.post(
    '/ramps/:id/signals',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: RampParams,
        body: SignalBody,
        response: { 200: Type.Object({ tripped: Type.Boolean(), ramp: RampView }), ...errorResponses },
      },
    },
    async (request) => receiveSignal(deps, actorOf(request), request.params.id, request.body),
  );
};
