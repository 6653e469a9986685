import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { DOCS_CONTENT_SECURITY_POLICY } from './security-headers.ts';

/** OpenAPI generated from the route schemas, browsable at /docs (JSON at /docs/json). */
export const openapiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Switchboard API', version: '0.1.0', description: 'Feature flags: admin API and SDK endpoints.' },
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'API token (sbt_...) for the admin API, SDK key for /api/sdk and /api/client',
            },
            session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
          },
        },
        security: [{ bearer: [] }, { session: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CONTENT_SECURITY_POLICY });
  },
  { name: 'openapi' },
);
