import { type HashPrefix, hashPrefix } from './murmur3.ts';

/** Seed of the variant hash; Unleash's, so variant assignments survive a migration. */
export const VARIANT_SEED = 86028157;

/** Number of rollout buckets: 100 percent in 0.01 steps. */
export const BUCKETS = 10_000;

/**
 * Rollout bucket in [0, 10000) from the hash of "<groupId>:<id>" (seed 0). The major part is
 * `h % 100`, Unleash's own bucket, so whole percentages agree with Unleash; the minor part refines
 * it for two-decimal percentages. Raising a percentage only adds buckets, so nobody drops out.
 */
export function bucketOf(hash: number): number {
  return (hash % 100) * 100 + (Math.floor(hash / 100) % 100);
}

/** Percentage (two decimals) to the bucket bound: in when bucket < threshold. */
export function rolloutThreshold(percentage: number): number {
  return Math.round(percentage * 100);
}

export function rolloutPrefix(groupId: string): HashPrefix {
  return hashPrefix(`${groupId}:`, 0);
}

export function variantPrefix(groupId: string): HashPrefix {
  return hashPrefix(`${groupId}:`, VARIANT_SEED);
}
