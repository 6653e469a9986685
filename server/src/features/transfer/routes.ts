import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Description, errorResponses, Key, Name } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { assertWritable, environmentsUsingSegments } from '../change-requests/guard.ts';
import { ConditionSchema, DependencySchema, RuleSchema, VariantSchema } from '../flags/schemas.ts';
import { type ExportDocument, exportDocument, importDocument } from './service.ts';

const EnvironmentConfig = Type.Object(
  {
    enabled: Type.Boolean(),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 200 })),
    variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
    variantStickiness: Type.Optional(Type.String({ maxLength: 100 })),
    dependencies: Type.Optional(Type.Array(DependencySchema, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
const Document = Type.Object(
  {
    version: Type.Literal(1),
    exportedAt: Type.Optional(Type.String({ maxLength: 50 })),
    flags: Type.Array(
      Type.Object(
        {
          key: Key,
          name: Name,
          description: Description,
          kind: Type.Union([Type.Literal('boolean'), Type.Literal('multivariate')]),
          tags: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 }),
          clientVisible: Type.Boolean(),
          environments: Type.Record(Key, EnvironmentConfig, { maxProperties: 50 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    segments: Type.Array(
      Type.Object(
        { key: Key, name: Name, description: Description, conditions: Type.Array(ConditionSchema, { maxItems: 50 }) },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
const Names = Type.Object({ created: Type.Array(Type.String()), updated: Type.Array(Type.String()) });

export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['import'];
  app.get(
    '/export',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        querystring: Type.Object({ environment: Type.Optional(Key) }, { additionalProperties: false }),
        // Described loosely: what was stored (imports included) goes out as it is, to come back in.
        response: {
          200: Type.Object({
            version: Type.Literal(1),
            exportedAt: Type.String(),
            flags: Type.Array(Type.Unknown()),
            segments: Type.Array(Type.Unknown()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => exportDocument(app.db, request.query.environment),
  );
  app.post(
    '/import',
    {
      config: { role: 'editor' },
      // Whole exports can be large; the limit still bounds them.
      bodyLimit: 16 * 1_048_576,
      schema: {
        tags,
        body: Type.Object(
          { document: Document, environment: Type.Optional(Key), dryRun: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            dryRun: Type.Boolean(),
            flags: Names,
            segments: Names,
            environments: Type.Array(Type.String()),
            skippedEnvironments: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { document, environment, dryRun } = request.body;
      if (!dryRun) {
        const named = environment !== undefined ? [environment] : document.flags.flatMap((f) => Object.keys(f.environments));
        // Segments are shared by every environment: overwriting one changes evaluation wherever
        // a flag uses it, whichever environment the import is for.
        const reached = await environmentsUsingSegments(
          app.db,
          document.segments.map((s) => s.key),
        );
        await assertWritable(changeDeps(app), request, [...named, ...reached]);
      }
      return importDocument(changeDeps(app), actorOf(request), document as ExportDocument, { environment, dryRun });
    },
  );
};
