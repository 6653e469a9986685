import { describe, expect, it } from 'vitest';
import { measureEntries } from '../scripts/measure-size.ts';

describe('bundle size', () => {
  it('keeps every entry, minified and gzipped, within its budget (what `pnpm size` prints)', async () => {
    const reports = await measureEntries();
    expect(reports.map((r) => r.name)).toEqual(['.', './react', './openfeature']);
    // Operator plug-ins and the digest code are loaded on demand and must never be part of an entry.
    for (const r of reports) {
      for (const lazy of ['re2js', 'core/src/semver.ts', 'core/src/cidr.ts', 'src/sha256-hex.ts']) {
        expect(r.inputs.some((i) => i.file.includes(lazy))).toBe(false);
        expect(r.lazy.some((chunk) => chunk.holds.includes(lazy))).toBe(true);
      }
      // The compiled evaluator (fast, larger) is for servers and Node; browsers use the wire evaluator.
      expect(r.inputs.some((i) => i.file.includes('core/src/compile.ts'))).toBe(false);
    }
    const over = reports.filter((r) => r.gzipped > r.budget).map((r) => `${r.name}: ${r.gzipped} B gzipped > budget ${r.budget} B`);
    expect(over).toEqual([]);
  });
});
