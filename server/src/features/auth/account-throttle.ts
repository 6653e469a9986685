import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/** Failed logins are counted per account over this window. */
export const ACCOUNT_WINDOW_MS = 15 * 60_000;
/** Local counters kept before expired ones are swept (an attacker may spray many emails). */
const MAX_LOCAL = 10_000;

/**
 * Failed logins per account, on top of the per-address limit, so guessing one account's password
 * from many addresses is slow too. Counted in Redis when there is one (shared by replicas) and
 * always in this process as well: when Redis is down each replica still refuses past the limit on
 * its own counts (fail closed, per replica), and logins stay possible. A correct password does not
 * get past an account that is over its limit; the window ends it. Unknown emails are counted alike,
 * so the answer never tells whether an account exists.
 */
export class AccountThrottle {
  private readonly local = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly limit: number,
    private readonly log: FastifyBaseLogger,
    private readonly windowMs = ACCOUNT_WINDOW_MS,
  ) {}

  private keyOf(email: string): string {
    // Hashed: Redis need not hold the emails people tried.
    return `switchboard:login-failures:${createHash('sha256').update(email).digest('base64url')}`;
  }

  private localCount(key: string, now: number): { count: number; resetAt: number } {
    const entry = this.local.get(key);
    if (!entry || entry.resetAt <= now) return { count: 0, resetAt: now + this.windowMs };
    return entry;
  }

  /** Milliseconds until the account may try again; 0 when it may now. */
  async retryAfterMs(email: string): Promise<number> {
    const key = this.keyOf(email);
    const now = Date.now();
    const local = this.localCount(key, now);
    let shared = { count: 0, ttl: 0 };
    if (this.redis) {
      try {
        const replies = await this.redis.multi().get(key).pttl(key).exec();
        shared = { count: Number(replies?.[0]?.[1] ?? 0), ttl: Math.max(0, Number(replies?.[1]?.[1] ?? 0)) };
      } catch (err) {
        this.log.warn({ err }, 'login throttle: Redis unreachable; counting in this process only');
      }
    }
    if (shared.count >= this.limit) return Math.max(shared.ttl, 1000);
    if (local.count >= this.limit) return Math.max(local.resetAt - now, 1000);
    return 0;
  }

  async recordFailure(email: string): Promise<void> {
    const key = this.keyOf(email);
    const now = Date.now();
    const local = this.localCount(key, now);
    if (this.local.size >= MAX_LOCAL && !this.local.has(key)) this.sweep(now);
    this.local.set(key, { count: local.count + 1, resetAt: local.resetAt });
    if (!this.redis) return;
    try {
      const replies = await this.redis.multi().incr(key).pttl(key).exec();
      // The window starts with the first failure (no PEXPIRE NX: that needs Redis 7).
      if (Number(replies?.[1]?.[1] ?? -1) < 0) await this.redis.pexpire(key, this.windowMs);
    } catch (err) {
      this.log.warn({ err }, 'login throttle: Redis unreachable; counting in this process only');
    }
  }

  async reset(email: string): Promise<void> {
    const key = this.keyOf(email);
    this.local.delete(key);
    try {
      await this.redis?.del(key);
    } catch {
      // The count expires with its window anyway.
    }
  }

  private sweep(now: number): void {
    for (const [k, v] of this.local) if (v.resetAt <= now) this.local.delete(k);
    // Still full: the oldest go first (Map keeps insertion order).
    for (const k of this.local.keys()) {
      if (this.local.size < MAX_LOCAL) break;
      this.local.delete(k);
    }
  }
}
