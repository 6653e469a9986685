import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireVersion } from '../../domain/versions.ts';
import { NotFoundError } from '../../errors.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { CreateEnvironmentBody, Environment, EnvironmentParams, EnvironmentSettingsBody, RenameEnvironmentBody } from './schemas.ts';
import { createEnvironment, deleteEnvironment, environmentView, renameEnvironment, updateEnvironmentSettings } from './service.ts';
import { findEnvironment, listEnvironments } from './store.ts';

export const environmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['environments'];

  app.get(
    '/environments',
    {
      config: { role: 'viewer' },
      schema: { tags, response: { 200: Type.Object({ environments: Type.Array(Environment) }), ...errorResponses } },
    },
    async () => ({ environments: (await listEnvironments(app.db)).map(environmentView) }),
  );

  app.get(
    '/environments/:env',
    { config: { role: 'viewer' }, schema: { tags, params: EnvironmentParams, response: { 200: Environment, ...errorResponses } } },
    async (request) => {
      const row = await findEnvironment(app.db, request.params.env);
      if (!row) throw new NotFoundError(`Environment ${request.params.env}`);
      return environmentView(row);
    },
  );

  app.post(
    '/environments',
    { config: { role: 'admin' }, schema: { tags, body: CreateEnvironmentBody, response: { 201: Environment, ...errorResponses } } },
    async (request, reply) => {
      const row = await createEnvironment(deps, actorOf(request), request.body);
      return reply.status(201).send(environmentView(row));
    },
  );

  app.patch(
    '/environments/:env',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        params: EnvironmentParams,
        headers: IfMatchHeaders,
        body: RenameEnvironmentBody,
        response: { 200: Environment, ...errorResponses },
      },
    },
    async (request) => {
      const version = requireVersion(request.headers['if-match'], request.body.version);
      return environmentView(await renameEnvironment(deps, actorOf(request), request.params.env, request.body.name, version));
    },
  );

  app.patch(
    '/environments/:env/settings',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        params: EnvironmentParams,
        headers: IfMatchHeaders,
        body: EnvironmentSettingsBody,
        response: { 200: Environment, ...errorResponses },
      },
    },
    async (request) => {
      const { version: bodyVersion, ...settings } = request.body;
      const version = requireVersion(request.headers['if-match'], bodyVersion);
      return environmentView(await updateEnvironmentSettings(deps, actorOf(request), request.params.env, settings, version));
    },
  );

  app.delete(
    '/environments/:env',
    { config: { role: 'admin' }, schema: { tags, params: EnvironmentParams, response: { 200: Ok, ...errorResponses } } },
    async (request) => {
      await deleteEnvironment(deps, actorOf(request), request.params.env);
      return { ok: true as const };
    },
  );
};
