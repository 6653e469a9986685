import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes tell a secret's kind at a glance (and let the admin API turn SDK keys away early). */
export const TOKEN_PREFIX = { apiToken: 'sbt_', serverKey: 'sbs_', clientKey: 'sbc_', session: 'sbx_' } as const;

/** Random secrets with a readable prefix (`sbt_`, `sbs_`, `sbc_`, ...): 32 bytes of entropy. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** High-entropy secrets are stored as SHA-256; passwords use argon2 instead. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameSecretHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What lists show of a secret: enough to tell two apart, never enough to use one. */
export function secretPrefix(secret: string): string {
  return secret.slice(0, 8);
}
