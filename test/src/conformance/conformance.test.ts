import { describe, expect, it } from 'vitest';
import { coreEngine } from './core-engine.ts';
import { defaultSpecDir, upstreamSpecDir } from './paths.ts';
import { runDirectory } from './run-conformance.ts';

describe('Unleash client specification through the importer and core', () => {
  it('passes every row of every file', async () => {
    const results = await runDirectory(defaultSpecDir, coreEngine);
    expect(results.length).toBeGreaterThanOrEqual(22);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThan(200);
  });

  it('passes the published specification package too, with the rows the shared copy leaves out', async () => {
    const results = await runDirectory(upstreamSpecDir, coreEngine);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThanOrEqual(279);
  });
});
