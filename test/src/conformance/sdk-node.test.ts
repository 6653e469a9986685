import { describe, expect, it } from 'vitest';
import { defaultSpecDir, upstreamSpecDir } from './paths.ts';
import { runDirectory } from './run-conformance.ts';
import { sdkNodeEngine } from './sdk-node-engine.ts';

describe('Unleash client specification through the Node SDK (bootstrap, client.evaluate)', () => {
  it('passes every row of every file', async () => {
    const results = await runDirectory(defaultSpecDir, sdkNodeEngine);
    expect(results.length).toBeGreaterThanOrEqual(22);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThan(200);
  });

  it('passes the published specification package too', async () => {
    const results = await runDirectory(upstreamSpecDir, sdkNodeEngine);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThanOrEqual(279);
  });
});
