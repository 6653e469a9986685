import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { etagOf, requireVersion } from '../../domain/versions.ts';
import { NotFoundError } from '../../errors.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { assertWritable, environmentsUsingSegment } from '../change-requests/guard.ts';
import { CreateSegmentBody, SegmentParams, SegmentView, UpdateSegmentBody } from './schemas.ts';
import { createSegment, deleteSegment, segmentView, updateSegment } from './service.ts';
import { findSegment, listSegments, segmentUsage } from './store.ts';

const SEGMENT_BODY_LIMIT = 8 * 1_048_576;

export const segmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['segments'];

  app.get(
    '/segments',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ segments: Type.Array(SegmentView), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'key', ['string']);
      const page = pageOf(await listSegments(app.db, { limit, afterKey: after?.[0] as string | undefined }), limit, (s) =>
        encodeCursor('key', [s.key]),
      );
      const usage = await segmentUsage(app.db);
      return { segments: page.rows.map((s) => segmentView(s, usage.get(s.key) ?? [])), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/segments/:key',
    { config: { role: 'viewer' }, schema: { tags, params: SegmentParams, response: { 200: SegmentView, ...errorResponses } } },
    async (request, reply) => {
      const row = await findSegment(app.db, request.params.key);
      if (!row) throw new NotFoundError(`Segment ${request.params.key}`);
      reply.header('etag', etagOf(row.version));
      return segmentView(row, (await segmentUsage(app.db, [row.key])).get(row.key) ?? []);
    },
  );

  app.post(
    '/segments',
    {
      config: { role: 'editor' },
      // Room for 50,000 values of a pasted list (ids of 100 characters and more).
      bodyLimit: SEGMENT_BODY_LIMIT,
      schema: { tags, body: CreateSegmentBody, response: { 201: SegmentView, ...errorResponses } },
    },
    async (request, reply) => reply.status(201).send(await createSegment(deps, actorOf(request), request.body)),
  );

  app.patch(
    '/segments/:key',
    {
      config: { role: 'editor' },
      bodyLimit: SEGMENT_BODY_LIMIT,
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
      await assertWritable(deps, request, await environmentsUsingSegment(app.db, request.params.key));
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
