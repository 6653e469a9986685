import type { SQL } from 'drizzle-orm';
import type { Actor } from '../../domain/actor.ts';
import type { AuditEntry } from '../../domain/changes.ts';
import { deliveriesForEventStatement, type StoredPayload } from './store.ts';

/** The audit action of `POST /webhooks/:id/test`; its one delivery is written by the service itself. */
export const TEST_AUDIT_ACTION = 'webhook.tested';
/** The event a test delivery carries. */
export const TEST_EVENT = 'webhook.test';

/** Subscriptions matching an event: itself, each prefix as `a.*` (`flag.*` for `flag.enabled`), and `*`. */
export function eventPatterns(event: string): string[] {
  const parts = event.split('.');
  const patterns = ['*', event];
  for (let i = 1; i < parts.length; i++) patterns.push(`${parts.slice(0, i).join('.')}.*`);
  return patterns;
}

/** Whether a webhook subscribed to `events` receives `event`; the same rule as the outbox's query. */
export function matchesEvent(events: readonly string[], event: string): boolean {
  const patterns = new Set(eventPatterns(event));
  return events.some((e) => patterns.has(e));
}

export function payloadOf(entry: AuditEntry, actor: Actor, at: Date = new Date()): StoredPayload {
  return {
    event: entry.action,
    resource: { type: entry.resourceType, key: entry.resourceKey },
    environment: entry.environmentKey ?? null,
    actor: actor.name,
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: at.toISOString(),
  };
}

/**
 * The outbox (`ChangeDeps.auditedStatement`): runs inside the transaction of every audited write,
 * in the same statement as its audit row, and queues one delivery per enabled webhook whose events
 * match. A write that rolls back takes its deliveries with it; one that commits has them, whatever
 * happens to this process next. Null for what no subscriber receives.
 */
export function webhookDeliveriesStatement(entry: AuditEntry, actor: Actor, onlyIf?: SQL): SQL | null {
  // A test ping goes to the webhook tested only, as its own `webhook.test` delivery; signing in and
  // out are audited but change nothing a subscriber watches (and carry client addresses).
  if (entry.action === TEST_AUDIT_ACTION || entry.action === 'user.login' || entry.action === 'user.logout') return null;
  return deliveriesForEventStatement(eventPatterns(entry.action), payloadOf(entry, actor), onlyIf);
}
