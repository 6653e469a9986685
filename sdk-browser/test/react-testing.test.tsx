import { SwitchboardError, SwitchboardErrorCode } from '@switchboard/core';
// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { useFlag, useFlagsStatus, useVariant } from '../src/react/index.ts';
import { createTestClient, TestFlagProvider } from '../src/react/testing.ts';

interface Flags {
  'new-checkout': boolean;
  banner: { variant: 'a' | 'b'; payload: { title: string } };
}

afterEach(cleanup);

describe('createTestClient', () => {
  it('answers from its values, typed by the Flags map, parsed payloads included', async () => {
    const flags = createTestClient<Flags>({ 'new-checkout': true, banner: { variant: 'b', payload: { title: 'Hi' } } });
    expect(flags.isEnabled('new-checkout')).toBe(true);
    expect(flags.variant('banner')).toEqual({ name: 'b', enabled: true, payload: { title: 'Hi' } });
    expectTypeOf(flags.variant('banner').payload).toEqualTypeOf<{ title: string } | undefined>();
    expectTypeOf(flags.variant('banner').name).toEqualTypeOf<'a' | 'b' | 'disabled'>();
    expect(flags.jsonValue('banner', { title: 'none' })).toEqual({ title: 'Hi' });
    expect(flags.jsonValue('new-checkout', { title: 'none' })).toEqual({ title: 'none' });
    // @ts-expect-error a misspelled key does not compile
    expect(flags.isEnabled('new-chekout', true)).toBe(true);
    // The core result, payload in its wire form, as the real client's evaluate() gives it.
    expect(flags.evaluate('banner')).toEqual({
      enabled: true,
      variant: { name: 'b', enabled: true, payload: { type: 'json', value: '{"title":"Hi"}' } },
      reason: 'ON',
      ruleId: null,
    });
    expect(flags.evaluate('new-chekout' as never).reason).toBe('FLAG_NOT_FOUND');
    expect(flags.evaluations).toEqual({ 'new-checkout': 2, banner: 5, 'new-chekout': 2 });
    await expect(flags.whenReady()).resolves.toBeUndefined();
    expect(flags.status()).toEqual({ ready: true, stale: false, error: null });
  });

  it('emits ready, then change when set() moves an answer, and records track() and the context', async () => {
    const flags = createTestClient<Flags>({ 'new-checkout': false }, { context: { userId: 'u1' } });
    const heard: unknown[] = [];
    flags.on('ready', () => heard.push('ready'));
    const onChange = (keys: string[]) => heard.push(keys);
    flags.on('change', onChange);
    await Promise.resolve();
    flags.set('new-checkout', true);
    flags.set('new-checkout', true); // same answer: no event
    flags.set('banner', { variant: 'a', payload: { title: 'A' } });
    flags.set('banner', undefined);
    expect(flags.isEnabled('banner', true)).toBe(true);
    expect(heard).toEqual(['ready', ['new-checkout'], ['banner'], ['banner']]);
    flags.off('change', onChange);
    flags.set('new-checkout', false);
    expect(heard).toHaveLength(4);

    flags.track('checkout', 42);
    await flags.setContext({ userId: 'u2', properties: { plan: 'pro' } });
    flags.track('signup');
    flags.track('paid', { userId: 'u3' }, 9.5);
    expect(flags.tracked).toEqual([
      { name: 'checkout', context: { userId: 'u1' }, value: 42 },
      { name: 'signup', context: { userId: 'u2', properties: { plan: 'pro' } } },
      { name: 'paid', context: { userId: 'u3' }, value: 9.5 },
    ]);
    flags.close();
    expect(flags.closed).toBe(true);
  });

  it('starts not ready when asked (fallbacks, NOT ready status) and follows setStatus', async () => {
    const flags = createTestClient({ a: true }, { ready: false });
    const heard: string[] = [];
    for (const e of ['ready', 'stale', 'error'] as const) flags.on(e, () => heard.push(e));
    expect(flags.isEnabled('a', true)).toBe(true);
    expect(flags.isEnabled('a')).toBe(false);
    let ready = false;
    void flags.whenReady().then(() => (ready = true));
    flags.setStatus({ ready: true });
    await Promise.resolve();
    expect(ready).toBe(true);
    expect(flags.isEnabled('a')).toBe(true);
    flags.setStatus({ stale: true });
    flags.setStatus({ stale: false });
    flags.setStatus({ error: new SwitchboardError(SwitchboardErrorCode.HttpStatus, 'refused', { status: 401, fatal: true }) });
    expect(heard).toEqual(['ready', 'stale', 'ready', 'error']);
    expect(flags.status().error?.message).toBe('refused');
  });
});

const renders: Record<string, number> = {};
function Checkout() {
  const on = useFlag('new-checkout');
  renders.checkout = (renders.checkout ?? 0) + 1;
  return <span data-testid="checkout">{on ? 'new' : 'old'}</span>;
}
function Banner() {
  const v = useVariant<{ title: string }>('banner');
  renders.banner = (renders.banner ?? 0) + 1;
  return <span data-testid="banner">{`${v.name}:${v.payload?.title ?? '-'}`}</span>;
}
function Status() {
  const { stale } = useFlagsStatus();
  return <span data-testid="status">{stale ? 'stale' : 'live'}</span>;
}

describe('TestFlagProvider', () => {
  it('renders the given flags', () => {
    render(
      <TestFlagProvider<Flags> flags={{ 'new-checkout': true, banner: { variant: 'b', payload: { title: 'Hi' } } }}>
        <Checkout />
        <Banner />
      </TestFlagProvider>,
    );
    expect(screen.getByTestId('checkout').textContent).toBe('new');
    expect(screen.getByTestId('banner').textContent).toBe('b:Hi');
  });

  it('re-renders only what reads a flag the test set()', async () => {
    for (const k of Object.keys(renders)) delete renders[k];
    const flags = createTestClient<Flags>({ 'new-checkout': false, banner: { variant: 'a', payload: { title: 'A' } } });
    render(
      <TestFlagProvider client={flags}>
        <Checkout />
        <Banner />
        <Status />
      </TestFlagProvider>,
    );
    expect(screen.getByTestId('checkout').textContent).toBe('old');
    await act(async () => flags.set('new-checkout', true));
    expect(screen.getByTestId('checkout').textContent).toBe('new');
    expect(renders).toEqual({ checkout: 2, banner: 1 });
    await act(async () => flags.set('banner', { variant: 'b', payload: { title: 'B' } }));
    expect(screen.getByTestId('banner').textContent).toBe('b:B');
    await act(async () => flags.setStatus({ stale: true }));
    expect(screen.getByTestId('status').textContent).toBe('stale');
    expect(renders).toEqual({ checkout: 2, banner: 2 });
  });
});
