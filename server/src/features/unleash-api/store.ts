import type { FlagConfig, Segment } from '@switchboard/core';
import type { Database } from '../../db/client.ts';
import { segments } from '../../db/schema/index.ts';
import { findFlagEnvironment } from '../flags/store.ts';

/** One flag's saved configuration in one environment, as SDKs get it, or undefined. */
export async function savedFlagConfig(db: Database, flagKey: string, environmentKey: string): Promise<FlagConfig | undefined> {
  const row = await findFlagEnvironment(db, flagKey, environmentKey);
  return row ? { ...row.config, key: flagKey, enabled: row.enabled } : undefined;
}

export async function allSegments(db: Database): Promise<Segment[]> {
  return db.select({ key: segments.key, conditions: segments.conditions }).from(segments);
}
