// @vitest-environment happy-dom
import type { BrowserBootstrap, FlagConfig } from '@switchboard/core';
import { act } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FlagProvider, useFlag } from '../src/react/index.ts';
import { settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const flags: FlagConfig[] = [
  { key: 'alpha', enabled: true, rules: [{ id: 'u', conditions: [{ attribute: 'userId', operator: 'IN', values: ['u1'] }] }] },
];
const bootstrap: BrowserBootstrap = { snapshot: snapshot(5, flags), context: { userId: 'u1' }, results: [] };

const seen: string[] = [];
function Alpha() {
  const on = useFlag('alpha');
  // Every render, the server's, hydration's and the client's, must show the bootstrap's answer.
  seen.push(`${on}`);
  return <p id="alpha">{on ? 'on' : 'off'}</p>;
}

describe('hydrating a server-rendered FlagProvider', () => {
  it('matches the server HTML, then makes one client from the bootstrap (context included) that stays live', async () => {
    const { options, es } = testOptions();
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
    const tree = (
      <FlagProvider options={options} bootstrap={bootstrap}>
        <Alpha />
      </FlagProvider>
    );
    const html = renderToString(tree);
    expect(html).toBe('<p id="alpha">on</p>');
    expect(es.streams).toHaveLength(0);

    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const mismatches: unknown[] = [];
    let root: ReturnType<typeof hydrateRoot> | undefined;
    await act(async () => {
      root = hydrateRoot(container, tree, { onRecoverableError: (e) => mismatches.push(e) });
    });
    expect(mismatches).toEqual([]);
    expect(container.innerHTML).toBe('<p id="alpha">on</p>');
    // The client exists now, took the bootstrap's view and context (ready at once: no flicker), and streams.
    expect(es.streams).toHaveLength(1);
    expect(seen.every((v) => v === 'true')).toBe(true);
    await act(async () => {
      await es.latest().patch({ revision: 6, changes: [{ op: 'flag', flag: { key: 'alpha', enabled: false } }] });
    });
    expect(container.innerHTML).toBe('<p id="alpha">off</p>');
    await act(async () => root?.unmount());
    await settle();
    expect(es.latest().readyState).toBe(2);
  });
});
