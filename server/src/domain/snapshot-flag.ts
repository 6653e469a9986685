import type { FlagConfig } from '@switchboard/core';
import type { StoredFlagConfig } from '../db/schema/index.ts';

/** A flag as the change log and snapshots carry it: core's config plus who may see it. */
export interface SnapshotFlag extends FlagConfig {
  clientVisible: boolean;
}

export function toSnapshotFlag(key: string, enabled: boolean, config: StoredFlagConfig, clientVisible: boolean): SnapshotFlag {
  const flag: SnapshotFlag = { key, enabled, rules: config.rules ?? [], clientVisible };
  if (config.variants && config.variants.length > 0) flag.variants = config.variants;
  if (config.variantStickiness) flag.variantStickiness = config.variantStickiness;
  if (config.dependencies && config.dependencies.length > 0) flag.dependencies = config.dependencies;
  return flag;
}
