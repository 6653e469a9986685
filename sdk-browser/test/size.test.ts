import { describe, expect, it } from 'vitest';
import { measureEntries, measureNoSplitting, measureScriptTag, NO_SPLITTING_BUDGET, SCRIPT_TAG_BUDGET } from '../scripts/measure-size.ts';

describe('bundle size', () => {
  it('keeps every entry, minified and gzipped, within its budget (what `pnpm size` prints)', async () => {
    const reports = await measureEntries();
    expect(reports.map((r) => r.name)).toEqual(['.', './react', './openfeature']);
    // Operator plug-ins, polling, server evaluation and usage reports are loaded on demand and must never be part of an entry.
    for (const r of reports) {
      // So are the core rules only they use (applyPatch, backoff, retry policy, the OFREP context).
      const onDemand = ['core/src/semver.ts', 'core/src/cidr.ts', 'src/polling.ts', 'src/remote.ts', 'src/usage-report.ts'];
      for (const lazy of [...onDemand, 'core/src/protocol-rules.ts', 'core/src/ofrep.ts']) {
        expect(r.inputs.some((i) => i.file.includes(lazy))).toBe(false);
        expect(r.lazy.some((chunk) => chunk.holds.includes(lazy))).toBe(true);
      }
      // REGEX is opt-in (`operators: { regex }`): its engine is neither in an entry nor loaded on demand.
      expect([...r.inputs.map((i) => i.file), ...r.lazy.map((l) => l.holds)].some((f) => f.includes('re2js'))).toBe(false);
      // The compiled evaluator (fast, larger) is for servers and Node; browsers use the wire evaluator.
      expect(r.inputs.some((i) => i.file.includes('core/src/compile.ts'))).toBe(false);
    }
    const over = reports.filter((r) => r.gzipped > r.budget).map((r) => `${r.name}: ${r.gzipped} B gzipped > budget ${r.budget} B`);
    expect(over).toEqual([]);
  });

  it('bundled without code splitting, "." leaves the regex engine out and stays within its budget', async () => {
    const unsplit = await measureNoSplitting();
    expect(unsplit.inputs.some((f) => f.includes('re2js') || f.includes('core/src/regex.ts'))).toBe(false);
    expect(unsplit.inputs.some((f) => f.includes('core/src/semver.ts'))).toBe(true);
    expect(unsplit.gzipped).toBeLessThanOrEqual(NO_SPLITTING_BUDGET);
  });

  it('keeps the script-tag build within its budget', async () => {
    expect((await measureScriptTag()).gzipped).toBeLessThanOrEqual(SCRIPT_TAG_BUDGET);
  }, 30_000);
});
