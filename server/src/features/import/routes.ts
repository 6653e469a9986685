import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { importUnleash, type UnleashPayload } from '@switchboard/core/unleash';
import { Type } from 'typebox';
import { errorResponses, Key } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { assertWritable, environmentsUsingSegments } from '../change-requests/guard.ts';
import { importUnleashExport } from './service.ts';

// Unleash exports carry many fields we ignore, so items are open objects; sizes stay bounded.
const UnleashExport = Type.Object({
  features: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 100 }),
      enabled: Type.Boolean(),
      description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    }),
    { maxItems: 5000 },
  ),
  segments: Type.Optional(
    Type.Array(Type.Object({ id: Type.Union([Type.Integer(), Type.String({ maxLength: 100 })]) }), { maxItems: 1000 }),
  ),
});
const Names = Type.Object({ created: Type.Array(Type.String()), updated: Type.Array(Type.String()) });

export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/import/unleash',
    {
      config: { role: 'editor' },
      schema: {
        tags: ['import'],
        body: Type.Object(
          {
            environment: Key,
            data: UnleashExport,
            /** Import what validates and report the rest, instead of refusing the whole export. */
            skipInvalid: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            environment: Type.String(),
            flags: Names,
            segments: Names,
            skipped: Type.Array(Type.Object({ key: Type.String(), issues: Type.Array(Type.Unknown()) })),
            warnings: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      // Segments are shared by every environment: overwriting one changes evaluation wherever a
      // flag uses it, so those environments' approvals and freezes apply too. An export that does
      // not convert is the service's 400 to give.
      let segmentKeys: string[] = [];
      try {
        segmentKeys = importUnleash(request.body.data as UnleashPayload).segments.map((s) => s.key);
      } catch {}
      const reached = await environmentsUsingSegments(app.db, segmentKeys);
      await assertWritable(changeDeps(app), request, [request.body.environment, ...reached]);
      return importUnleashExport(changeDeps(app), actorOf(request), request.body.environment, request.body.data as UnleashPayload, {
        skipInvalid: request.body.skipInvalid,
      });
    },
  );
};
