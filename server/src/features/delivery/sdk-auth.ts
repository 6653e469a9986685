import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/client.ts';
import { ForbiddenError, UnauthenticatedError } from '../../errors.ts';
import { type ActiveKey, findActiveKey } from '../keys/store.ts';
import type { Audience } from './stream-connection.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set on the SDK routes' scope. */
    sdkKeys: SdkKeyAuth;
  }
}

const CACHE_MS = 2000;
const CACHE_MAX = 10_000;

/**
 * SDK key checks with a two-second memory, so a fleet polling snapshots does not turn into one
 * database query per poll. Revocation still takes effect within the delivery check's interval.
 */
export class SdkKeyAuth {
  private readonly cache = new Map<string, { key: ActiveKey | undefined; at: number }>();

  constructor(private readonly db: Database) {}

  /** The active key with this secret, of either kind (cached). Throws when the database cannot say. */
  async lookup(secret: string): Promise<ActiveKey | undefined> {
    const now = Date.now();
    const hit = this.cache.get(secret);
    if (hit && now - hit.at < CACHE_MS) return hit.key;
    const key = await findActiveKey(this.db, secret);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(secret, { key, at: now });
    return key;
  }

  /**
   * The key from `Authorization` (bare or Bearer) or, for browsers whose EventSource cannot set
   * headers, the `key` query parameter of client routes.
   */
  async authenticate(request: FastifyRequest, audience: Audience): Promise<ActiveKey> {
    const header = request.headers.authorization;
    let secret = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    if (!secret && audience === 'client') {
      const q = (request.query as Record<string, unknown> | undefined)?.key;
      if (typeof q === 'string') secret = q;
    }
    if (!secret) throw new UnauthenticatedError('Send an SDK key in the Authorization header');
    const key = await this.lookup(secret);
    if (!key) throw new UnauthenticatedError('Unknown or revoked SDK key');
    if (key.kind !== audience) {
      throw new ForbiddenError(audience === 'server' ? 'This endpoint needs a server key' : 'This endpoint needs a client key');
    }
    return key;
  }
}
