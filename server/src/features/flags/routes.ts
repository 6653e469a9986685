import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { etagOf, requireVersion } from '../../domain/versions.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { directWriteGate } from '../change-requests/guard.ts';
import { openRequestsOfFlag } from '../change-requests/store.ts';
import { browserEvaluationFor, findFlagEnvironmentWithFlag } from '../delivery/store.ts';
import { findEnvironment } from '../environments/store.ts';
import { evaluationCountsOf, usageOf } from '../usage/store.ts';
import {
  ConfigVersionView,
  CreateFlagBody,
  FlagEnvironmentView,
  FlagEnvParams,
  FlagList,
  FlagParams,
  FlagView,
  ListFlagsQuery,
  RevertBody,
  UpdateFlagBody,
  UpdateFlagEnvironmentBody,
} from './schemas.ts';
import {
  archiveFlag,
  configVersionView,
  createFlag,
  deleteFlag,
  flagEnvironmentView,
  flagView,
  revertFlagEnvironment,
  updateFlag,
  updateFlagEnvironment,
} from './service.ts';
import { defaultOrder, findFlag, flagEnvironmentsOf, listConfigVersions, listFlags } from './store.ts';

export const flagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['flags'];

  app.get(
    '/flags',
    { config: { role: 'viewer' }, schema: { tags, querystring: ListFlagsQuery, response: { 200: FlagList, ...errorResponses } } },
    async (request) => {
      const { cursor, ...q } = request.query;
      if (cursor !== undefined && q.offset !== undefined) throw new ValidationError('Send cursor or offset, not both');
      const limit = q.limit ?? PAGE_DEFAULT;
      const sort = q.sort ?? 'updated';
      const order = q.order ?? defaultOrder(sort);
      // Each order has a cursor name of its own (the default keeps the name it had before sorting existed).
      const name = sort === 'updated' && order === 'desc' ? 'updated' : `${sort}-${order}`;
      const after = decodeCursor(cursor, name, [sort === 'name' ? 'string' : 'time', 'string']);
      const listed = await listFlags(app.db, { ...q, sort, order, limit, offset: q.offset ?? 0, after });
      const page = pageOf(listed.rows, limit, (f) => encodeCursor(name, [f.at, f.row.key]));
      const keys = page.rows.map((r) => r.row.key);
      const [envs, usage, counts] = await Promise.all([
        flagEnvironmentsOf(app.db, keys),
        usageOf(app.db, keys),
        evaluationCountsOf(app.db, keys),
      ]);
      return { flags: page.rows.map((r) => flagView(r.row, envs, usage, counts)), total: listed.total, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/flags',
    { config: { role: 'editor' }, schema: { tags, body: CreateFlagBody, response: { 201: FlagView, ...errorResponses } } },
    async (request, reply) => {
      const view = await createFlag(deps, actorOf(request), request.body);
      return reply.status(201).header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/flags/:key',
    { config: { role: 'viewer' }, schema: { tags, params: FlagParams, response: { 200: FlagView, ...errorResponses } } },
    async (request, reply) => {
      const row = await findFlag(app.db, request.params.key);
      if (!row) throw new NotFoundError(`Flag ${request.params.key}`);
      reply.header('etag', etagOf(row.version));
      const [envs, usage, requests, counts] = await Promise.all([
        flagEnvironmentsOf(app.db, [row.key]),
        usageOf(app.db, [row.key]),
        openRequestsOfFlag(app.db, row.key),
        evaluationCountsOf(app.db, [row.key]),
      ]);
      const view = flagView(row, envs, usage, counts);
      for (const [env, summary] of Object.entries(view.environments))
        Object.assign(summary, { openChangeRequests: requests.get(env) ?? 0 });
      return view;
    },
  );

  app.patch(
    '/flags/:key',
    {
      config: { role: 'editor' },
      schema: { tags, params: FlagParams, headers: IfMatchHeaders, body: UpdateFlagBody, response: { 200: FlagView, ...errorResponses } },
    },
    async (request, reply) => {
      const { version: bodyVersion, ...input } = request.body;
      const view = await updateFlag(
        deps,
        actorOf(request),
        request.params.key,
        requireVersion(request.headers['if-match'], bodyVersion),
        input,
      );
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  for (const [path, archive, description] of [
    [
      '/flags/:key/archive',
      true,
      'Archives a flag: SDKs stop receiving it. Its ramp plans are aborted, its scheduled changes cancelled and its open change requests withdrawn, each audited.',
    ],
    ['/flags/:key/restore', false, 'Restores an archived flag as it stood; what archiving ended stays ended.'],
  ] as const) {
    app.post(
      path,
      {
        config: { role: 'editor' },
        schema: { tags, description, params: FlagParams, response: { 200: FlagView, ...errorResponses } },
      },
      async (request) => archiveFlag(deps, actorOf(request), request.params.key, archive),
    );
  }

  app.delete(
    '/flags/:key',
    { config: { role: 'editor' }, schema: { tags, params: FlagParams, response: { 200: Ok, ...errorResponses } } },
    async (request) => {
      await deleteFlag(deps, actorOf(request), request.params.key);
      return { ok: true as const };
    },
  );

  app.get(
    '/flags/:key/environments/:env',
    { config: { role: 'viewer' }, schema: { tags, params: FlagEnvParams, response: { 200: FlagEnvironmentView, ...errorResponses } } },
    async (request, reply) => {
      const { key, env } = request.params;
      const row = await findFlagEnvironmentWithFlag(app.db, key, env);
      if (!row) throw new NotFoundError(`Flag ${key} in environment ${env}`);
      reply.header('etag', etagOf(row.version));
      const browser = await browserEvaluationFor(app.db, row);
      return { ...flagEnvironmentView(row), ...(browser ? { browser } : {}) };
    },
  );

  app.patch(
    '/flags/:key/environments/:env',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: FlagEnvParams,
        headers: IfMatchHeaders,
        body: UpdateFlagEnvironmentBody,
        response: { 200: FlagEnvironmentView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { version: bodyVersion, ...patch } = request.body;
      const { key, env } = request.params;
      const view = await updateFlagEnvironment(
        deps,
        actorOf(request),
        key,
        env,
        requireVersion(request.headers['if-match'], bodyVersion),
        patch,
        directWriteGate(request),
      );
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/flags/:key/environments/:env/versions',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        params: FlagEnvParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ versions: Type.Array(ConfigVersionView), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const { key, env } = request.params;
      if (!(await findFlag(app.db, key))) throw new NotFoundError(`Flag ${key}`);
      if (!(await findEnvironment(app.db, env))) throw new NotFoundError(`Environment ${env}`);
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const [beforeVersion] = (decodeCursor(request.query.cursor, 'version-desc', ['number']) ?? []) as number[];
      const page = pageOf(await listConfigVersions(app.db, key, env, { limit, beforeVersion }), limit, (v) =>
        encodeCursor('version-desc', [v.version]),
      );
      return { versions: page.rows.map(configVersionView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/flags/:key/environments/:env/revert',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: FlagEnvParams,
        headers: IfMatchHeaders,
        body: RevertBody,
        response: { 200: FlagEnvironmentView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, env } = request.params;
      const version = requireVersion(request.headers['if-match'], request.body.version);
      const view = await revertFlagEnvironment(deps, actorOf(request), key, env, version, request.body.toVersion, directWriteGate(request));
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );
};
