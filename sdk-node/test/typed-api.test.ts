import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ClientOptions, createClient, type EvaluationContext } from '../src/index.ts';
import { snapshot } from './support/fixtures.ts';

interface Flags {
  'new-checkout': boolean;
  banner: { variant: 'a' | 'b'; payload: { title: string } };
  limit: { variant: 'low' | 'high'; payload: number };
}

const BOOTSTRAP = snapshot(1, [
  { key: 'new-checkout', enabled: true },
  { key: 'banner', enabled: true, variants: [{ name: 'b', weight: 1, payload: { type: 'json', value: '{"title":"Hello"}' } }] },
  { key: 'limit', enabled: true, variants: [{ name: 'high', weight: 1, payload: { type: 'number', value: '42' } }] },
]);

describe('the typed API', () => {
  it('types keys, contexts and parsed payloads (the @ts-expect-error lines are checked by pnpm typecheck)', async () => {
    const client = createClient<Flags>({ offline: true, bootstrap: BOOTSTRAP });
    expect(client.isEnabled('new-checkout', { userId: 'u', properties: { plan: 'pro' } })).toBe(true);
    // @ts-expect-error a misspelled key
    client.isEnabled('new-chekout');
    // @ts-expect-error a misspelled context field (custom attributes go in `properties`)
    client.isEnabled('new-checkout', { userID: 'u' });
    // @ts-expect-error a custom attribute at the top level
    client.isEnabled('new-checkout', { plan: 'pro' });

    const banner = client.variant('banner', { userId: 'u' });
    expectTypeOf(banner.name).toEqualTypeOf<'a' | 'b' | 'disabled'>();
    expectTypeOf(banner.payload).toEqualTypeOf<{ title: string } | undefined>();
    expect(banner).toEqual({ name: 'b', enabled: true, payload: { title: 'Hello' } });
    const limit = client.variant('limit');
    expectTypeOf(limit.payload).toEqualTypeOf<number | undefined>();
    expect(limit.payload).toBe(42);
    // @ts-expect-error not a variant of the flag
    const wrong: 'c' = client.variant('banner').name;
    void wrong;

    const json = client.jsonValue<{ title: string }>('banner', { title: 'fallback' });
    expectTypeOf(json).toEqualTypeOf<{ title: string }>();
    expect(json).toEqual({ title: 'Hello' });
    expect(client.jsonValue('limit', { n: 0 })).toEqual({ n: 0 });
    // Shared and frozen: one caller cannot change what another gets.
    expect(Object.isFrozen(client.variant('banner').payload)).toBe(true);
    await client.close();
  });

  it('requires url and sdkKey unless offline', () => {
    expectTypeOf<{ offline: true }>().toMatchTypeOf<ClientOptions>();
    expectTypeOf<{ url: string; sdkKey: string }>().toMatchTypeOf<ClientOptions>();
    expectTypeOf<{ url: string }>().not.toMatchTypeOf<ClientOptions>();
    expectTypeOf<Record<string, never>>().not.toMatchTypeOf<ClientOptions>();
    // @ts-expect-error no url or key, not offline
    const none: ClientOptions = {};
    // @ts-expect-error a url without a key
    const noKey: ClientOptions = { url: 'http://x' };
    void none;
    void noKey;
    expectTypeOf<{ userID: string }>().not.toMatchTypeOf<EvaluationContext>();
  });

  it('an untyped client accepts any key, with unknown payloads', async () => {
    const client = createClient({ offline: true, bootstrap: BOOTSTRAP });
    expectTypeOf(client.variant('anything').payload).toEqualTypeOf<unknown>();
    expect(client.variant('banner').payload).toEqual({ title: 'Hello' });
    expect(client.isEnabled('missing', {}, true)).toBe(true);
    await client.close();
  });

  it('merges appName, environment and staticContext under every context; the call wins, properties key by key', async () => {
    const bootstrap = snapshot(1, [
      { key: 'app', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'appName', operator: 'IN', values: ['shop'] }] }] },
      { key: 'eu', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'region', operator: 'IN', values: ['eu'] }] }] },
      { key: 'pro', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] }] },
    ]);
    const client = createClient({
      offline: true,
      bootstrap,
      appName: 'shop',
      environment: 'production',
      staticContext: { properties: { region: 'eu', plan: 'free' } },
    });
    expect(client.isEnabled('app')).toBe(true);
    expect(client.isEnabled('app', { appName: 'admin' })).toBe(false);
    expect(client.isEnabled('eu', { userId: 'u' })).toBe(true);
    expect(client.isEnabled('pro', { properties: { plan: 'pro' } })).toBe(true);
    expect(client.isEnabled('eu', { properties: { plan: 'pro' } })).toBe(true);
    expect(client.isEnabled('eu', { properties: { region: 'us' } })).toBe(false);
    await client.close();
  });
});
