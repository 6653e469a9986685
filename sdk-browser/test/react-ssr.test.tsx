import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BrowserBootstrap } from '@switchboard/core';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FlagProvider, useFlag, useFlagsStatus, useVariant } from '../src/react/index.ts';

const run = promisify(execFile);

function Page() {
  const alpha = useFlag('alpha');
  const beta = useFlag('beta', true);
  const vip = useFlag('vip');
  const remote = useFlag('remote-one');
  const missing = useFlag('remote-missing', true);
  const banner = useVariant<{ title: string }>('banner');
  const { ready } = useFlagsStatus();
  return (
    <p>
      {`alpha=${alpha} beta=${beta} vip=${vip} remote=${remote} missing=${missing} banner=${banner.name}:${banner.payload?.title} ready=${ready}`}
    </p>
  );
}

const bootstrap: BrowserBootstrap = {
  snapshot: {
    environment: 'production',
    revision: 7,
    flags: [
      { key: 'alpha', enabled: true, rules: [{ id: 'plan', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] }] },
      { key: 'beta', enabled: false },
      // Local flags are evaluated with the bootstrap's context (a server never sends a view whose
      // rules name sensitive values; this one only checks the stand-in evaluates locally).
      {
        key: 'vip',
        enabled: true,
        rules: [{ id: 'e', conditions: [{ attribute: 'email', operator: 'IN', values: ['kim@example.org'] }] }],
      },
      { key: 'remote-one', enabled: true, remote: true },
      { key: 'remote-missing', enabled: true, remote: true },
      { key: 'banner', enabled: true, remote: true },
    ],
  },
  context: { userId: 'u1', properties: { plan: 'pro', email: 'kim@example.org' } },
  results: [
    {
      key: 'remote-one',
      value: true,
      variant: 'disabled',
      reason: 'TARGETING_MATCH',
      metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'r' },
    },
    {
      key: 'banner',
      value: { title: 'Hello' },
      variant: 'b',
      reason: 'SPLIT',
      metadata: { enabled: true, reason: 'ON', payloadType: 'json' },
    },
  ],
};

describe('server rendering with FlagProvider', () => {
  it('renders from the bootstrap and makes no client: no request, stream, timer or storage', () => {
    const touched: string[] = [];
    const html = renderToString(
      <FlagProvider
        options={{
          url: 'http://127.0.0.1:9',
          clientKey: 'sbc_x',
          fetch: async () => {
            touched.push('fetch');
            throw new Error('no network on the server render');
          },
          EventSource: class {
            constructor() {
              touched.push('EventSource');
            }
          } as never,
          timers: {
            set: () => touched.push('timer'),
            clear: () => {},
          },
          storage: {
            getItem: () => {
              touched.push('storage');
              return null;
            },
            setItem: () => touched.push('storage'),
          },
        }}
        bootstrap={bootstrap}
      >
        <Page />
      </FlagProvider>,
    );
    expect(html).toBe('<p>alpha=true beta=false vip=true remote=true missing=true banner=b:Hello ready=true</p>');
    expect(touched).toEqual([]);
  });

  it('takes a bare client view as bootstrap, and renders fallbacks (not ready) without one', () => {
    const bare = renderToString(
      <FlagProvider
        options={{
          url: 'http://127.0.0.1:9',
          clientKey: 'sbc_x',
          bootstrap: { environment: 'production', revision: 1, flags: [{ key: 'alpha', enabled: true }] },
        }}
      >
        <Page />
      </FlagProvider>,
    );
    expect(bare).toContain('alpha=true beta=true');
    const none = renderToString(
      <FlagProvider options={{ url: 'http://127.0.0.1:9', clientKey: 'sbc_x' }}>
        <Page />
      </FlagProvider>,
    );
    expect(none).toContain('alpha=false beta=true vip=false remote=false missing=true banner=disabled:undefined ready=false');
  });

  it('leaves nothing behind after 5,000 renders: heap back to baseline, no handle or timer', async () => {
    const script = fileURLToPath(new URL('./react-ssr/render-many.tsx', import.meta.url));
    // A process of its own: `--expose-gc` to measure after a full collection, and nothing else alive in it.
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script, '5000'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 60_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(r.first).toBe('0:true:true');
    // Only the pipes to this process, before and after: no timer, socket or request was left open.
    expect(r.resourcesBefore.every((k: string) => k === 'PipeWrap')).toBe(true);
    expect(r.resourcesAfter).toEqual(r.resourcesBefore);
    // A client per render kept +21 MB over 5,000 renders; the stand-ins must all be collected.
    expect(r.heapAfter - r.heapBefore).toBeLessThan(2 * 1024 * 1024);
  }, 90_000);
});
