import type { Actor } from '../domain/actor.ts';

/** What a session lookup found: who it is, and what decides when it stops. */
export interface CachedSession {
  actor: Actor;
  expiresAt: Date;
  lastSeenAt: Date;
}

/**
 * Session lookups of the last `ttlMs`, by token hash: the admin UI and API tooling send many
 * requests per second on one session, and each lookup was a query on every one of them (a quarter
 * of an edit's round trips). Cleared whole on any change to users or sessions (log-out, disabling,
 * roles, passwords), on this replica at once and on the others when the bus tells them; the TTL
 * bounds what a lost bus message can leave (a log-out elsewhere honoured here up to `ttlMs` late).
 */
export class SessionCache {
  private readonly entries = new Map<string, { session: CachedSession; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(tokenHash: string, now: number): CachedSession | undefined {
    const hit = this.entries.get(tokenHash);
    if (!hit) return undefined;
    if (now - hit.at >= this.ttlMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return hit.session;
  }

  set(tokenHash: string, session: CachedSession, now: number): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(tokenHash);
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(tokenHash, { session, at: now });
  }

  clear(): void {
    this.entries.clear();
  }
}
