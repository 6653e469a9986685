// @vitest-environment happy-dom
import type { FlagConfig } from '@switchboard/core';
import { act, cleanup, render, screen } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { FlagProvider, useFlag, useFlagsStatus, useVariant } from '../src/react/index.ts';
import { settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const flags: FlagConfig[] = [
  { key: 'alpha', enabled: true },
  { key: 'beta', enabled: false },
  { key: 'theme', enabled: true, variants: [{ name: 'dark', weight: 1, payload: { type: 'string', value: '#000' } }] },
];

const renders: Record<string, number> = {};
const counted = (name: string) => {
  renders[name] = (renders[name] ?? 0) + 1;
};

function Flag({ name }: { name: string }) {
  const on = useFlag(name);
  counted(name);
  return <span data-testid={name}>{on ? 'on' : 'off'}</span>;
}

function Theme() {
  const variant = useVariant('theme');
  counted('theme');
  return <span data-testid="theme">{`${variant.name}:${String(variant.payload ?? '')}`}</span>;
}

function Status() {
  const { ready, stale, error } = useFlagsStatus();
  counted('status');
  return <span data-testid="status">{`${ready ? 'ready' : 'loading'}${stale ? ' stale' : ''}${error ? ' error' : ''}`}</span>;
}

function App() {
  return (
    <>
      <Flag name="alpha" />
      <Flag name="beta" />
      <Theme />
      <Status />
    </>
  );
}

afterEach(() => {
  cleanup();
  for (const k of Object.keys(renders)) delete renders[k];
});

describe('React bindings', () => {
  it('re-renders only the components whose flag changed', async () => {
    const { options, es } = testOptions();
    const client = createClient(options);
    render(
      <FlagProvider client={client}>
        <App />
      </FlagProvider>,
    );
    expect(screen.getByTestId('alpha').textContent).toBe('off');
    expect(screen.getByTestId('status').textContent).toBe('loading');
    await act(async () => {
      await es.latest().snapshot(snapshot(1, flags));
      await settle();
    });
    expect(screen.getByTestId('alpha').textContent).toBe('on');
    expect(screen.getByTestId('theme').textContent).toBe('dark:#000');
    expect(screen.getByTestId('status').textContent).toBe('ready');
    // beta is off before and after the first view: nothing to redraw.
    expect(renders).toEqual({ alpha: 2, beta: 1, theme: 2, status: 2 });

    await act(async () => {
      await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { key: 'beta', enabled: true } }] });
    });
    expect(screen.getByTestId('beta').textContent).toBe('on');
    expect(renders).toEqual({ alpha: 2, beta: 2, theme: 2, status: 2 });

    await act(async () => {
      es.latest().fail();
    });
    expect(screen.getByTestId('status').textContent).toBe('ready stale');
    expect(renders).toEqual({ alpha: 2, beta: 2, theme: 2, status: 3 });
    await act(async () => {
      es.latest().open();
      await settle();
    });
    expect(screen.getByTestId('status').textContent).toBe('ready');
    expect(renders).toEqual({ alpha: 2, beta: 2, theme: 2, status: 4 });
    client.close();
  });

  it('creates a client from options (bootstrap renders at once) and closes it on unmount, StrictMode included', async () => {
    const { options, es } = testOptions();
    const view = render(
      <StrictMode>
        <FlagProvider options={{ ...options, bootstrap: snapshot(1, flags) }}>
          <App />
        </FlagProvider>
      </StrictMode>,
    );
    expect(screen.getByTestId('alpha').textContent).toBe('on');
    await act(async () => {
      await settle();
    });
    const stream = es.latest();
    expect(stream.readyState).not.toBe(2);
    await act(async () => {
      await stream.patch({ revision: 2, changes: [{ op: 'flag', flag: { key: 'alpha', enabled: false } }] });
    });
    expect(screen.getByTestId('alpha').textContent).toBe('off');
    view.unmount();
    await settle();
    expect(es.streams).toHaveLength(1);
    expect(stream.readyState).toBe(2);
  });

  it('explains a missing provider', async () => {
    expect(() => render(<Flag name="alpha" />)).toThrow(/FlagProvider/);
  });
});
