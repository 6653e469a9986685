import { describe, expect, it } from 'vitest';
import { measureEntries } from '../scripts/measure-size.ts';

describe('bundle size', () => {
  it('keeps every entry, minified and gzipped, within its budget (what `pnpm size` prints)', async () => {
    const reports = await measureEntries();
    expect(reports.map((r) => r.name)).toEqual(['.', './react', './openfeature']);
    // The REGEX engine is loaded on demand and must never be part of an entry.
    for (const r of reports) expect(r.inputs.some((i) => i.file.includes('re2js'))).toBe(false);
    const over = reports.filter((r) => r.gzipped > r.budget).map((r) => `${r.name}: ${r.gzipped} B gzipped > budget ${r.budget} B`);
    expect(over).toEqual([]);
  });
});
