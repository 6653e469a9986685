import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { etagOf, requireVersion } from '../../domain/versions.ts';
import { NotFoundError } from '../../errors.ts';
import { decodeCursor, encodeCursor, NextCursor, PAGE_DEFAULT, PageQuery, pageOf } from '../../http/paging.ts';
import { errorResponses, IfMatchHeaders, Ok } from '../../http/schemas.ts';
import { actorOf } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import {
  CreatedWebhook,
  CreateWebhookBody,
  DeliveriesQuery,
  Delivery,
  DeliveryPage,
  RotatedSecret,
  RotateSecretBody,
  UpdateWebhookBody,
  Webhook,
  WebhookParams,
} from './schemas.ts';
import { createWebhook, deleteWebhook, deliveryView, rotateWebhookSecret, testWebhook, updateWebhook, webhookView } from './service.ts';
import { findWebhook, listDeliveries, listWebhooks } from './store.ts';
import { settingsFromEnv, WebhookWorker } from './worker.ts';

/**
 * Webhooks: admin routes under /api/admin/webhooks, and the worker that sends the deliveries the
 * outbox (`webhookDeliveriesStatement`) queues. Every replica runs a worker; see `worker.ts`.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['webhooks'];

  const worker = new WebhookWorker({
    db: app.db,
    log: app.log,
    ...settingsFromEnv(process.env, (msg) => app.log.warn(msg)),
  });
  app.addHook('onReady', async () => {
    worker.start();
  });
  // preClose, not onClose: the database must still be open to record attempts in flight (the
  // root's onClose hooks, where `main.ts` closes it, run before this plugin's).
  app.addHook('preClose', async () => {
    await worker.stop();
  });

  app.get(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Object({ webhooks: Type.Array(Webhook), nextCursor: NextCursor }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? PAGE_DEFAULT;
      const after = decodeCursor(request.query.cursor, 'created', ['time', 'uuid']);
      const page = pageOf(await listWebhooks(app.db, { limit, after }), limit, (w) => encodeCursor('created', [w.at, w.row.id]));
      return { webhooks: page.rows.map((w) => webhookView(w.row)), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/webhooks',
    { config: { role: 'admin' }, schema: { tags, body: CreateWebhookBody, response: { 201: CreatedWebhook, ...errorResponses } } },
    async (request, reply) => {
      const { row, secret } = await createWebhook(deps, actorOf(request), request.body);
      return reply
        .status(201)
        .header('etag', etagOf(row.version))
        .send({ ...webhookView(row), secret });
    },
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        params: WebhookParams,
        headers: IfMatchHeaders,
        body: UpdateWebhookBody,
        response: { 200: Webhook, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { version: bodyVersion, ...changes } = request.body;
      const version = requireVersion(request.headers['if-match'], bodyVersion);
      const row = await updateWebhook(deps, actorOf(request), request.params.id, changes, version);
      return reply.header('etag', etagOf(row.version)).send(webhookView(row));
    },
  );

  app.delete(
    '/webhooks/:id',
    { config: { role: 'admin' }, schema: { tags, params: WebhookParams, response: { 200: Ok, ...errorResponses } } },
    async (request) => {
      await deleteWebhook(deps, actorOf(request), request.params.id);
      return { ok: true as const };
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: { tags, params: WebhookParams, querystring: DeliveriesQuery, response: { 200: DeliveryPage, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await findWebhook(app.db, id))) throw new NotFoundError(`Webhook ${id}`);
      const limit = request.query.limit ?? 50;
      const [fromCursor] = (decodeCursor(request.query.cursor, 'id-desc', ['number']) ?? []) as number[];
      const { rows, nextCursor } = pageOf(await listDeliveries(app.db, id, fromCursor ?? request.query.before, limit + 1), limit, (d) =>
        encodeCursor('id-desc', [d.id]),
      );
      return {
        deliveries: rows.map(deliveryView),
        nextBefore: nextCursor === null ? null : (rows[rows.length - 1]?.id ?? null),
        nextCursor,
      };
    },
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        params: WebhookParams,
        body: RotateSecretBody,
        response: { 200: RotatedSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { row, secret, previousSecretExpiresAt } = await rotateWebhookSecret(
        deps,
        actorOf(request),
        request.params.id,
        request.body.graceSeconds,
      );
      return reply
        .header('etag', etagOf(row.version))
        .send({ ...webhookView(row), secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
    },
  );

  app.post(
    '/webhooks/:id/test',
    { config: { role: 'admin' }, schema: { tags, params: WebhookParams, response: { 202: Delivery, ...errorResponses } } },
    async (request, reply) => {
      const delivery = await testWebhook(deps, actorOf(request), request.params.id);
      return reply.status(202).send(deliveryView(delivery));
    },
  );
};
