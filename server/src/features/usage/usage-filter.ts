import { DISABLED_VARIANT } from '@switchboard/core';
import type { Database } from '../../db/client.ts';
import type { Audience } from '../delivery/stream-connection.ts';
import type { TrackedEntry } from './metric-aggregator.ts';
import { type UsageCatalogEntry, usageCatalog } from './store.ts';
import type { FlagCounts } from './usage-aggregator.ts';

const CACHE_MS = 5000;
/**
 * A report naming what the cached catalog lacks (a flag, variant or rule made a moment ago) reads
 * it again, at most this often per environment: new names count at once, and reports full of
 * stale or invented ones cost a few reads a second, not one each.
 */
const RECHECK_MS = 250;

/**
 * Keeps of a usage report only what the reporting key can see: live flags of its environment
 * (client keys: client-visible ones), and of each only the variants the flag has (plus the
 * "disabled" answer SDKs report when it is off). The rest is dropped, not refused: an SDK may lag
 * a change by a few seconds, and its honest counts should not be lost with the stale names.
 */
export class UsageFilter {
  private readonly cache = new Map<string, { at: number; catalog: Promise<Map<string, UsageCatalogEntry>> }>();

  constructor(private readonly db: Database) {}

  private catalog(environment: string): Promise<Map<string, UsageCatalogEntry>> {
    const hit = this.cache.get(environment);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.catalog;
    const catalog = usageCatalog(this.db, environment);
    this.cache.set(environment, { at: Date.now(), catalog });
    catalog.catch(() => this.cache.delete(environment));
    return catalog;
  }

  /** `judge` on the cached catalog, and once more on a fresh one if it dropped anything (see `RECHECK_MS`). */
  private async withCatalog<T extends { dropped: number }>(
    environment: string,
    judge: (catalog: Map<string, UsageCatalogEntry>) => T,
  ): Promise<T> {
    const first = judge(await this.catalog(environment));
    const cached = this.cache.get(environment);
    if (first.dropped === 0 || cached === undefined || Date.now() - cached.at < RECHECK_MS) return first;
    this.cache.delete(environment);
    return judge(await this.catalog(environment));
  }

  async filter(
    environment: string,
    audience: Audience,
    report: Record<string, FlagCounts>,
  ): Promise<{ kept: Record<string, FlagCounts>; accepted: number; dropped: number }> {
    return this.withCatalog(environment, (catalog) => this.judgeCounts(catalog, audience, report));
  }

  private judgeCounts(catalog: Map<string, UsageCatalogEntry>, audience: Audience, report: Record<string, FlagCounts>) {
    const kept: Record<string, FlagCounts> = {};
    let accepted = 0;
    let dropped = 0;
    for (const [flagKey, counts] of Object.entries(report)) {
      // Own keys of the catalog only: a flag named like an Object.prototype member is just unknown.
      const entry = catalog.get(flagKey);
      if (!entry || (audience === 'client' && !entry.clientVisible)) {
        dropped++;
        continue;
      }
      const variants: Record<string, number> = {};
      for (const [name, n] of Object.entries(counts.variants ?? {})) {
        if (entry.variants.has(name) || name === DISABLED_VARIANT.name) variants[name] = n;
        else dropped++;
      }
      kept[flagKey] = { yes: counts.yes, no: counts.no, variants };
      accepted++;
    }
    return { kept, accepted, dropped };
  }

  /**
   * Tracked metrics by the same rule: an entry counts only for a flag the key can see, with a
   * variant and rule that flag has (or `disabled`, or no rule), so stale or invented names land
   * nowhere. Entries that sum to nothing are left out without counting as dropped.
   */
  async filterMetrics(
    environment: string,
    audience: Audience,
    entries: readonly TrackedEntry[],
  ): Promise<{ kept: TrackedEntry[]; dropped: number }> {
    return this.withCatalog(environment, (catalog) => this.judgeMetrics(catalog, audience, entries));
  }

  private judgeMetrics(catalog: Map<string, UsageCatalogEntry>, audience: Audience, entries: readonly TrackedEntry[]) {
    const kept: TrackedEntry[] = [];
    let dropped = 0;
    for (const e of entries) {
      if (e.count === 0 && e.sum === 0) continue;
      const entry = catalog.get(e.flag);
      const visible = entry !== undefined && (audience === 'server' || entry.clientVisible);
      const variantKnown = entry !== undefined && (entry.variants.has(e.variant) || e.variant === DISABLED_VARIANT.name);
      const ruleKnown = e.ruleId === null || (entry?.ruleIds.has(e.ruleId) ?? false);
      if (visible && variantKnown && ruleKnown) kept.push(e);
      else dropped++;
    }
    return { kept, dropped };
  }
}
