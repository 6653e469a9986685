import { describe, expect, it } from 'vitest';
import { coreEngine } from './core-engine.ts';
import { defaultSpecDir } from './paths.ts';
import { runDirectory } from './run-conformance.ts';

describe('Unleash client specification through the importer and core', () => {
  it('passes every row of every file', async () => {
    const results = await runDirectory(defaultSpecDir, coreEngine);
    expect(results.length).toBeGreaterThanOrEqual(22);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThan(200);
  });
});
