import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, Key, Timestamp } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { assertWritable } from '../change-requests/guard.ts';
import { DependencySchema, RuleSchema, VariantSchema } from '../flags/schemas.ts';
import { activeFreeze, EnvironmentFrozenError, FreezeMode } from '../freeze-windows/service.ts';
import { cancelSchedule, scheduleChange, scheduleView } from './service.ts';
import { listSchedules } from './store.ts';

const Patch = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 200 })),
    variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
    dependencies: Type.Optional(Type.Array(DependencySchema, { maxItems: 20 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const ScheduleView = Type.Object({
  id: Type.String(),
  flag: Type.String(),
  environment: Type.String(),
  patch: Type.Unknown(),
  runAt: Timestamp,
  state: Type.String(),
  appliedAt: Type.Union([Timestamp, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Timestamp,
});

export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['schedules'];

  app.post(
    '/flags/:key/environments/:env/schedule',
    {
      config: { role: 'editor' },
      schema: {
        tags,
        params: Type.Object({ key: Key, env: Key }),
        body: Type.Object({ at: Type.String({ format: 'date-time' }), patch: Patch }, { additionalProperties: false }),
        response: { 201: ScheduleView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, env } = request.params;
      // Approvals only: a freeze decides when the change falls due (refused or deferred then)...
      await assertWritable(deps, request, [env], { freeze: false });
      const at = new Date(request.body.at);
      // ...except that a change timed inside a refusing window would only fail when due: say so now.
      const frozen = await activeFreeze(deps.db, env, at);
      if (frozen?.window.mode === FreezeMode.Refuse) throw new EnvironmentFrozenError(env, frozen);
      return reply.status(201).send(await scheduleChange(deps, actorOf(request), key, env, at, request.body.patch));
    },
  );

  app.get(
    '/schedules',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: Type.Object(
          { flag: Type.Optional(Key), environment: Type.Optional(Key), state: Type.Optional(Type.String({ maxLength: 20 })), ...PageQuery },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ schedules: Type.Array(ScheduleView), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit: asked, cursor, ...filter } = request.query;
      const limit = asked ?? PAGE_DEFAULT;
      const after = decodeCursor(cursor, 'run-desc', ['time', 'uuid']);
      const page = pageOf(await listSchedules(app.db, filter, { limit, after }), limit, (s) => encodeCursor('run-desc', [s.at, s.row.id]));
      return { schedules: page.rows.map((s) => scheduleView(s.row)), nextCursor: page.nextCursor };
    },
  );

  app.delete(
    '/schedules/:id',
    {
      config: { role: 'editor' },
      schema: { tags, params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: ScheduleView, ...errorResponses } },
    },
    async (request) => cancelSchedule(deps, actorOf(request), request.params.id),
  );
};
