import { type Actor, actorRef } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '../../errors.ts';
import { TEST_AUDIT_ACTION, TEST_EVENT } from './outbox.ts';
import { newWebhookSecret } from './signing.ts';
import {
  type DeliveryRow,
  type DeliveryState,
  deleteWebhookRow,
  failPendingDeliveries,
  findWebhook,
  insertDelivery,
  insertWebhook,
  rotateWebhookSecretRow,
  type StoredPayload,
  updateWebhookIfVersion,
  type WebhookRow,
} from './store.ts';
import { type LookupAll, parseWebhookUrl, redactedUrl, systemLookup, vetWebhookUrl } from './targets.ts';

/** What the API shows of a webhook: never its secret. */
export function webhookView(row: WebhookRow) {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    allowPrivate: row.allowPrivate,
    version: row.version,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * What the audit log (and so viewers, the activity stream and other webhooks) sees: the URL cut to
 * its origin, since paths and queries of webhook URLs often hold a receiver's own secret.
 */
function auditView(row: WebhookRow) {
  return { ...webhookView(row), url: redactedUrl(row.url) };
}

/** A delivery log entry; `payload` is the body as sent (with the delivery id). */
export function deliveryView(row: DeliveryRow) {
  const p = row.payload as StoredPayload;
  return {
    id: row.id,
    event: row.event,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt.toISOString() : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    payload: {
      id: row.id,
      event: p.event,
      resource: p.resource,
      environment: p.environment,
      actor: p.actor,
      before: p.before,
      after: p.after,
      at: p.at,
    },
  };
}

/** Duplicates removed, order kept. */
function normaliseEvents(events: readonly string[]): string[] {
  return [...new Set(events)];
}

export interface CreateWebhookInput {
  name: string;
  url: string;
  events: string[];
  allowPrivate?: boolean | undefined;
}

/** The secret is returned here and nowhere else. */
export async function createWebhook(
  deps: ChangeDeps,
  actor: Actor,
  input: CreateWebhookInput,
  lookup: LookupAll = systemLookup,
): Promise<{ row: WebhookRow; secret: string }> {
  const allowPrivate = input.allowPrivate ?? false;
  const url = parseWebhookUrl(input.url).href;
  // DNS before the transaction: no locks are held while a resolver takes its time.
  await vetWebhookUrl(url, allowPrivate, lookup);
  const secret = newWebhookSecret();
  const row = await runChange(deps, actor, async (c) => {
    const row = await insertWebhook(c.tx, {
      name: input.name,
      url,
      events: normaliseEvents(input.events),
      secret,
      allowPrivate,
      createdBy: actorRef(actor),
    });
    await c.audit({ action: 'webhook.created', resourceType: 'webhook', resourceKey: row.id, after: auditView(row) });
    return row;
  });
  return { row, secret };
}

export interface UpdateWebhookInput {
  name?: string | undefined;
  url?: string | undefined;
  events?: string[] | undefined;
  enabled?: boolean | undefined;
  allowPrivate?: boolean | undefined;
}

export async function updateWebhook(
  deps: ChangeDeps,
  actor: Actor,
  id: string,
  input: UpdateWebhookInput,
  version: number,
  lookup: LookupAll = systemLookup,
): Promise<WebhookRow> {
  const set: Parameters<typeof updateWebhookIfVersion>[3] = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.url !== undefined) set.url = parseWebhookUrl(input.url).href;
  if (input.events !== undefined) set.events = normaliseEvents(input.events);
  if (input.enabled !== undefined) set.enabled = input.enabled;
  if (input.allowPrivate !== undefined) set.allowPrivate = input.allowPrivate;
  if (Object.keys(set).length === 0) throw new ValidationError('Nothing to change: send name, url, events, enabled or allowPrivate');

  const current = await findWebhook(deps.db, id);
  if (!current) throw new NotFoundError(`Webhook ${id}`);
  if (current.version !== version) throw new VersionMismatchError(current.version);
  // Where it leads is checked again whenever the URL or the permission changes. The transaction
  // below only writes if the webhook is still at `version`, i.e. still what was checked here.
  if (set.url !== undefined || set.allowPrivate !== undefined) {
    await vetWebhookUrl(set.url ?? current.url, set.allowPrivate ?? current.allowPrivate, lookup);
  }
  return runChange(deps, actor, async (c) => {
    const before = await findWebhook(c.tx, id);
    if (!before) throw new NotFoundError(`Webhook ${id}`);
    const row = await updateWebhookIfVersion(c.tx, id, version, set);
    // Read again: the version that won, not the one read before the update waited for it.
    if (!row) throw new VersionMismatchError((await findWebhook(c.tx, id))?.version ?? before.version);
    // Switched off means nothing more goes out, retries included.
    if (before.enabled && !row.enabled) await failPendingDeliveries(c.tx, id, 'not sent: the webhook was disabled');
    await c.audit({
      action: 'webhook.updated',
      resourceType: 'webhook',
      resourceKey: id,
      before: auditView(before),
      after: auditView(row),
    });
    return row;
  });
}

/** A day, Stripe's default: time enough for a receiver to deploy the new secret. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

/**
 * A new secret, returned here once. Until the grace period ends, deliveries are signed with both
 * the new and the replaced secret; a grace of 0 retires the old one at once (a leaked secret).
 */
export async function rotateWebhookSecret(
  deps: ChangeDeps,
  actor: Actor,
  id: string,
  graceSeconds: number = DEFAULT_ROTATION_GRACE_SECONDS,
): Promise<{ row: WebhookRow; secret: string; previousSecretExpiresAt: Date }> {
  const secret = newWebhookSecret();
  return runChange(deps, actor, async (c) => {
    const until = new Date(Date.now() + graceSeconds * 1000);
    const row = await rotateWebhookSecretRow(c.tx, id, secret, until);
    if (!row) throw new NotFoundError(`Webhook ${id}`);
    await c.audit({
      action: 'webhook.secret_rotated',
      resourceType: 'webhook',
      resourceKey: id,
      // Never a secret in the log: when the old one stops being used is what matters.
      after: { ...auditView(row), previousSecretExpiresAt: until.toISOString() },
    });
    return { row, secret, previousSecretExpiresAt: until };
  });
}

export async function deleteWebhook(deps: ChangeDeps, actor: Actor, id: string): Promise<void> {
  await runChange(deps, actor, async (c) => {
    const before = await findWebhook(c.tx, id);
    if (!before) throw new NotFoundError(`Webhook ${id}`);
    await deleteWebhookRow(c.tx, id);
    await c.audit({ action: 'webhook.deleted', resourceType: 'webhook', resourceKey: id, before: auditView(before) });
  });
}

/** Queues a `webhook.test` delivery to this webhook alone. */
export async function testWebhook(deps: ChangeDeps, actor: Actor, id: string): Promise<DeliveryRow> {
  return runChange(deps, actor, async (c) => {
    const hook = await findWebhook(c.tx, id);
    if (!hook) throw new NotFoundError(`Webhook ${id}`);
    if (!hook.enabled) throw new ConflictError('The webhook is disabled; enable it to send a test');
    const delivery = await insertDelivery(c.tx, id, {
      event: TEST_EVENT,
      resource: { type: 'webhook', key: id },
      environment: null,
      actor: actor.name,
      before: null,
      after: { message: 'A test delivery from Switchboard' },
      at: new Date().toISOString(),
    });
    await c.audit({ action: TEST_AUDIT_ACTION, resourceType: 'webhook', resourceKey: id, after: { delivery: delivery.id } });
    return delivery;
  });
}
