import { describe, expect, it } from 'vitest';
import { defaultSpecDir, upstreamSpecDir } from './paths.ts';
import { runDirectory } from './run-conformance.ts';
import { sdkBrowserEngine } from './sdk-browser-engine.ts';

describe('Unleash client specification through the browser SDK', () => {
  it('passes every row of the shared copy', async () => {
    const results = await runDirectory(defaultSpecDir, sdkBrowserEngine);
    expect(results.length).toBeGreaterThanOrEqual(22);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThan(200);
  });

  it('passes the published specification package too', async () => {
    const results = await runDirectory(upstreamSpecDir, sdkBrowserEngine);
    const failures = results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThanOrEqual(279);
  });
});
