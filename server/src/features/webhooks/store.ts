import { and, asc, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** What a delivery row stores; the row's id is added when it is sent (see `deliveryBody`). */
export interface StoredPayload {
  event: string;
  resource: { type: string; key: string };
  environment: string | null;
  actor: string;
  before: unknown;
  after: unknown;
  at: string;
}

/** Both drivers (pg and PGlite) answer raw queries with `{ rows }`. */
async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** Oldest first; `limit + 1` rows after the cursor's (createdAt, id). */
export function listWebhooks(
  db: Database,
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: WebhookRow; at: string }>> {
  return db
    .select({ row: webhooks, at: exactTime(webhooks.createdAt) })
    .from(webhooks)
    .where(afterTimeAndId(webhooks.createdAt, webhooks.id, 'asc', page.after))
    .orderBy(asc(webhooks.createdAt), asc(webhooks.id))
    .limit(page.limit + 1);
}

export async function findWebhook(db: Database, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  return row;
}

export async function insertWebhook(db: Database, values: typeof webhooks.$inferInsert): Promise<WebhookRow> {
  const [row] = await db.insert(webhooks).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/**
 * Replaces the secret, keeping the one it replaces until `previousUntil`. One statement: two
 * rotations at once queue on the row lock, and each keeps the secret the other just set.
 */
export async function rotateWebhookSecretRow(
  db: Database,
  id: string,
  secret: string,
  previousUntil: Date,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({
      previousSecret: sql`${webhooks.secret}`,
      previousSecretExpiresAt: previousUntil,
      secret,
      version: sql`${webhooks.version} + 1`,
    })
    .where(eq(webhooks.id, id))
    .returning();
  return row;
}

/** Undefined when the webhook is not at `version` (or gone). */
export async function updateWebhookIfVersion(
  db: Database,
  id: string,
  version: number,
  set: Partial<Pick<WebhookRow, 'name' | 'url' | 'events' | 'enabled' | 'allowPrivate'>>,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({ ...set, version: sql`${webhooks.version} + 1` })
    .where(and(eq(webhooks.id, id), eq(webhooks.version, version)))
    .returning();
  return row;
}

/** Its deliveries go with it (the foreign key cascades). */
export async function deleteWebhookRow(db: Database, id: string): Promise<void> {
  await db.delete(webhooks).where(eq(webhooks.id, id));
}

/** Pending deliveries of a webhook that was switched off will not be sent: they fail, with the reason. */
export async function failPendingDeliveries(db: Database, webhookId: string, reason: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ state: 'failed', lastError: reason })
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.state, 'pending')));
}

export async function insertDelivery(db: Database, webhookId: string, payload: StoredPayload): Promise<DeliveryRow> {
  const [row] = await db.insert(webhookDeliveries).values({ webhookId, event: payload.event, payload }).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/**
 * The outbox: one delivery per enabled webhook subscribed to one of `patterns` (the event itself,
 * its prefixes as `x.*`, and `*`), in one statement, which the caller runs inside its transaction
 * (along with the audit row: see `ChangeDeps.auditedStatement`), and only where `onlyIf` holds.
 */
export function deliveriesForEventStatement(patterns: string[], payload: StoredPayload, onlyIf: SQL = sql`true`): SQL {
  const list = sql.join(
    patterns.map((p) => sql`${p}`),
    sql`, `,
  );
  return sql`
    insert into ${webhookDeliveries} (webhook_id, event, payload)
    select w.id, ${payload.event}, ${JSON.stringify(payload)}::jsonb
    from ${webhooks} w
    where w.enabled and w.events && array[${list}]::text[] and ${onlyIf}`;
}

/** The delivery log: newest first, `before` an id cursor. */
export function listDeliveries(db: Database, webhookId: string, before: number | undefined, limit: number): Promise<DeliveryRow[]> {
  const where = [eq(webhookDeliveries.webhookId, webhookId)];
  if (before !== undefined) where.push(lt(webhookDeliveries.id, before));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

/** A delivery claimed for one attempt, with what sending it needs. */
export interface ClaimedDelivery {
  id: number;
  webhookId: string;
  event: string;
  payload: StoredPayload;
  /** Counting this one. */
  attempts: number;
  url: string;
  secret: string;
  /** The secret before a rotation, while its grace period lasts; deliveries carry both signatures. */
  previousSecret: string | null;
  allowPrivate: boolean;
}

/**
 * Claims up to `limit` due deliveries of enabled webhooks: counts the attempt and leases the row by
 * moving its next attempt `leaseMs` ahead, in one statement (one transaction). `SKIP LOCKED` lets
 * replicas claim side by side without waiting on, or taking, each other's rows; the lease keeps a
 * claimed row from being claimed again while it is sent, and hands it to another replica if this
 * one dies before recording the outcome.
 */
export async function claimDueDeliveries(db: Database, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await rowsOf<{
    id: string | number;
    webhook_id: string;
    event: string;
    payload: StoredPayload | string;
    attempts: number;
    url: string;
    secret: string;
    previous_secret: string | null;
    allow_private: boolean;
  }>(
    db,
    sql`
      with due as (
        select d.id, w.url, w.secret, w.allow_private,
          case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret
        from ${webhookDeliveries} d
        join ${webhooks} w on w.id = d.webhook_id
        where d.state = 'pending' and d.next_attempt_at <= now() and w.enabled
        order by d.next_attempt_at, d.id
        limit ${Math.max(1, Math.floor(limit))}
        for update of d skip locked
      )
      update ${webhookDeliveries} d
      set attempts = d.attempts + 1,
          next_attempt_at = now() + ${Math.max(1, Math.round(leaseMs))}::integer * interval '1 millisecond'
      from due
      where d.id = due.id
      returning d.id, d.webhook_id, d.event, d.payload, d.attempts, due.url, due.secret, due.previous_secret, due.allow_private`,
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      webhookId: r.webhook_id,
      event: r.event,
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as StoredPayload,
      attempts: Number(r.attempts),
      url: r.url,
      secret: r.secret,
      previousSecret: r.previous_secret,
      allowPrivate: r.allow_private,
    }))
    .sort((a, b) => a.id - b.id);
}

export interface AttemptOutcome {
  state: DeliveryState;
  status: number | null;
  error: string | null;
  /** For `pending`: wait this long before the next attempt. */
  retryInMs?: number;
}

/**
 * Records how an attempt went. Fenced on the attempt number: if the lease ran out and another
 * replica claimed the row meanwhile, this late outcome is dropped rather than overwriting theirs.
 */
export async function recordAttempt(db: Database, id: number, attempt: number, outcome: AttemptOutcome): Promise<boolean> {
  const delivered = outcome.state === 'delivered';
  const retryMs = Math.max(0, Math.round(outcome.retryInMs ?? 0));
  const rows = await db
    .update(webhookDeliveries)
    .set({
      state: outcome.state,
      lastStatus: outcome.status,
      lastError: outcome.error,
      deliveredAt: delivered ? sql`now()` : null,
      nextAttemptAt: outcome.state === 'pending' ? sql`now() + ${retryMs}::integer * interval '1 millisecond'` : sql`now()`,
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.attempts, attempt), eq(webhookDeliveries.state, 'pending')))
    .returning({ id: webhookDeliveries.id });
  return rows.length > 0;
}
