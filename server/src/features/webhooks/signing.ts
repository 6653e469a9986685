import { createHmac, timingSafeEqual } from 'node:crypto';
import { newSecret } from '../../domain/secrets.ts';

/**
 * Webhook signatures, as receivers check them.
 *
 * Every delivery carries `x-switchboard-signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
 * HMAC-SHA256, keyed with the webhook's secret (the whole `whsec_...` string, as UTF-8), of
 * `<t>.<raw request body>`. A receiver:
 *   1. reads the raw body bytes (before any JSON parsing or re-serialising);
 *   2. splits the header on `,` into `t=` and `v1=` parts (there may be several `v1=` while a
 *      secret is being rotated; accept if any matches);
 *   3. computes HMAC-SHA256(secret, `${t}.${rawBody}`) as hex and compares it with `v1` in
 *      constant time;
 *   4. rejects the delivery when `t` is more than 5 minutes away from its own clock (replay);
 *   5. de-duplicates on `x-switchboard-delivery`: a delivery may arrive more than once (retries
 *      after a timeout, a replica dying mid-send), always with the same id and body.
 * `verifySignature` below is exactly that, for receivers written in TypeScript.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function newWebhookSecret(): string {
  return newSecret(WEBHOOK_SECRET_PREFIX);
}

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The `x-switchboard-signature` header value for a body sent at `timestamp` (unix seconds). During
 * a rotation's grace period it carries a second `v1`, made with the previous secret, so receivers
 * still holding it keep accepting deliveries until they switch (Stripe's scheme).
 */
export function signatureHeader(secret: string, timestamp: number, body: string, previousSecret?: string | null): string {
  const header = `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
  return previousSecret ? `${header},v1=${signatureOf(previousSecret, timestamp, body)}` : header;
}

/** Whether a delivery is authentic and fresh: the receiver's side of `signatureHeader`. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v) candidates.push(v);
  }
  if (timestamp === undefined || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, rawBody), 'utf8');
  return candidates.some((c) => {
    const given = Buffer.from(c, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
