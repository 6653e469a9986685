import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { etagOf, requireVersion } from '../../domain/versions.ts';
import { NotFoundError } from '../../errors.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { CreateSegmentBody, SegmentParams, SegmentView, UpdateSegmentBody } from './schemas.ts';
import { createSegment, deleteSegment, segmentView, updateSegment } from './service.ts';
import { findSegment, listSegments, segmentUsage } from './store.ts';

export const segmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['segments'];

  app.get(
    '/segments',
    {
      config: { role: 'viewer' },
      schema: { tags, response: { 200: Type.Object({ segments: Type.Array(SegmentView) }), ...errorResponses } },
    },
    async () => {
      const usage = await segmentUsage(app.db);
      return { segments: (await listSegments(app.db)).map((s) => segmentView(s, usage.get(s.key) ?? [])) };
    },
  );

  app.get(
    '/segments/:key',
    { config: { role: 'viewer' }, schema: { tags, params: SegmentParams, response: { 200: SegmentView, ...errorResponses } } },
    async (request, reply) => {
      const row = await findSegment(app.db, request.params.key);
      if (!row) throw new NotFoundError(`Segment ${request.params.key}`);
      reply.header('etag', etagOf(row.version));
      return segmentView(row, (await segmentUsage(app.db)).get(row.key) ?? []);
    },
  );

  app.post(
    '/segments',
    { config: { role: 'editor' }, schema: { tags, body: CreateSegmentBody, response: { 201: SegmentView, ...errorResponses } } },
    async (request, reply) => reply.status(201).send(await createSegment(deps, actorOf(request), request.body)),
  );

  app.patch(
    '/segments/:key',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: SegmentParams,
        headers: IfMatchHeaders,
        body: UpdateSegmentBody,
        response: { 200: SegmentView, ...errorResponses },
      },
    },
    async (request) => {
      const { version, ...input } = request.body;
      return updateSegment(deps, actorOf(request), request.params.key, requireVersion(request.headers['if-match'], version), input);
    },
  );

  app.delete(
    '/segments/:key',
    { config: { role: 'editor' }, schema: { tags, params: SegmentParams, response: { 200: Ok, ...errorResponses } } },
    async (request) => {
      await deleteSegment(deps, actorOf(request), request.params.key);
      return { ok: true as const };
    },
  );
};
