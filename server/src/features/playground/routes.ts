import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../http/schemas.ts';
import { EvaluateBody, EvaluateResponse } from './schemas.ts';
import { evaluateForContext } from './service.ts';

/** POST /api/admin/evaluate: the playground, "what does this user get here, and why". Read-only. */
export const playgroundRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/evaluate',
    {
      config: { role: 'viewer' },
      schema: { tags: ['playground'], body: EvaluateBody, response: { 200: EvaluateResponse, ...errorResponses } },
    },
    async (request) => evaluateForContext(app.db, request.body),
  );
};
