import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { unleashDifferences } from '@switchboard/core/unleash';
import { Type } from 'typebox';
import { NotFoundError } from '../../errors.ts';
import { errorResponses, Key } from '../../http/schemas.ts';
import { allSegments, savedFlagConfig } from './store.ts';

const Difference = Type.Object({
  flag: Type.String(),
  ruleId: Type.Optional(Type.String()),
  code: Type.String({ description: 'FRACTIONAL_ROLLOUT, DATE_ON_ATTRIBUTE, EMPTY_GROUP_ID, OVERRIDES_WITHOUT_WEIGHT' }),
  message: Type.String(),
});

/**
 * `GET /api/admin/unleash/flags/:key/environments/:env`: what Unleash SDKs polling `/unleash/api`
 * will compute differently from ours for the saved flag, for the flag page's notice.
 */
export const unleashAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/unleash/flags/:key/environments/:env',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['unleash'],
        params: Type.Object({ key: Key, env: Key }),
        response: { 200: Type.Object({ differences: Type.Array(Difference) }), ...errorResponses },
      },
    },
    async (request) => {
      const { key, env } = request.params;
      const flag = await savedFlagConfig(app.db, key, env);
      if (!flag) throw new NotFoundError(`Flag ${key} in environment ${env}`);
      return { differences: unleashDifferences(flag, await allSegments(app.db)) };
    },
  );
};
