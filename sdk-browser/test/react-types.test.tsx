// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { type Client, type ClientStatus, createClient, type Variant } from '../src/index.ts';
import * as react from '../src/react/index.ts';
import { createFlagHooks, type FlagHooks, FlagProvider, type ParsedVariant } from '../src/react/index.ts';
import { createTestClient, TestFlagProvider } from '../src/react/testing.ts';

/**
 * The typed React hooks. `pnpm typecheck` checks this file: every `@ts-expect-error` must be an
 * error (an unused one fails the check). At run time the components render over a test client, so
 * the typed hooks are shown to be the hooks themselves.
 */
interface Flags {
  'new-checkout': boolean;
  banner: { variant: 'blue' | 'green'; payload: { title: string } };
  limit: { variant: 'low' | 'high'; payload: number };
}

const hooks = createFlagHooks<Flags>();
// As an application would: made once, at module level.
const { useFlag, useVariant, useFlagsClient, useFlagsStatus } = hooks;

function Checkout() {
  const on = useFlag('new-checkout');
  // @ts-expect-error: a misspelled key does not compile (and is unknown: the fallback)
  const typo = useFlag('new-chekout', true);
  const banner = useVariant('banner');
  const limit = useVariant('limit');
  // @ts-expect-error: not a key
  useVariant('colour');
  const title: string | undefined = banner.payload?.title;
  // @ts-expect-error: the payload is { title: string }, it has no `colour`
  void banner.payload?.colour;
  const name: 'blue' | 'green' | 'disabled' = banner.name;
  // @ts-expect-error: not a variant of banner
  const red: typeof banner.name = 'red';
  void red;
  const client = useFlagsClient();
  // @ts-expect-error: the client is typed too
  client.isEnabled('new-chekout');
  const { ready } = useFlagsStatus();
  const seats: number | undefined = limit.payload;
  return <p>{[ready, on, typo, name, title, seats].join(' ')}</p>;
}

afterEach(cleanup);

describe('createFlagHooks<Flags>()', () => {
  it('types keys, variant names and parsed payloads as createClient<Flags>() does', () => {
    expectTypeOf(hooks).toEqualTypeOf<FlagHooks<Flags>>();
    expectTypeOf(hooks.useFlag).parameter(0).toEqualTypeOf<'new-checkout' | 'banner' | 'limit'>();
    expectTypeOf(hooks.useVariant<'banner'>).returns.toEqualTypeOf<Variant<'blue' | 'green', { title: string }>>();
    expectTypeOf(hooks.useVariant<'limit'>).returns.toEqualTypeOf<Variant<'low' | 'high', number>>();
    expectTypeOf(hooks.useFlagsClient).returns.toEqualTypeOf<Client<Flags>>();
    expectTypeOf(hooks.useFlagsStatus).returns.toEqualTypeOf<ClientStatus>();
    // Untyped, the hooks take any key, as before.
    expectTypeOf(react.useFlag).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(react.useVariant<{ title: string }>).returns.toEqualTypeOf<ParsedVariant<{ title: string }>>();
    // Without a map, createFlagHooks() is the untyped hooks.
    expectTypeOf(createFlagHooks().useFlag).parameter(0).toEqualTypeOf<string>();
    // Types only: the same functions at run time, nothing to bundle.
    expect([hooks.useFlag, hooks.useVariant, hooks.useFlagsStatus, hooks.useFlagsClient]).toEqual([
      react.useFlag,
      react.useVariant,
      react.useFlagsStatus,
      react.useFlagsClient,
    ]);
  });

  it('are the hooks at run time: values, parsed payloads and updates from the provider', async () => {
    const flags = createTestClient<Flags>({
      'new-checkout': true,
      banner: { variant: 'green', payload: { title: 'Hi' } },
      limit: { variant: 'high', payload: 50 },
    });
    render(
      <TestFlagProvider client={flags}>
        <Checkout />
      </TestFlagProvider>,
    );
    expect(screen.getByText(/^true/).textContent).toBe('true true true green Hi 50');
    act(() => {
      flags.set('new-checkout', false);
      flags.set('banner', { variant: 'blue', payload: { title: 'Bye' } });
    });
    expect(screen.getByText(/^true/).textContent).toBe('true false true blue Bye 50');
  });

  it('takes the typed client in FlagProvider', () => {
    const client = createClient<Flags>({ offline: true });
    expect(() => render(<FlagProvider client={client}>{null}</FlagProvider>)).not.toThrow();
    client.close();
  });
});
