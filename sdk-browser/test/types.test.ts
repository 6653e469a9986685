import { describe, expectTypeOf, it } from 'vitest';
import { type Client, type ClientOptions, createClient, type Evaluation, type SdkReason, type Variant } from '../src/index.ts';
import { snapshot } from './helpers/fake-platform.ts';

/**
 * The typed API. `pnpm typecheck` checks this file: every `@ts-expect-error` must be an error (an
 * unused one fails the check), so a misspelled key, context field or missing option stays a
 * compile error. At run time the calls run on an offline client.
 */
interface Flags {
  'new-checkout': boolean;
  banner: { variant: 'blue' | 'green'; payload: { title: string } };
  limit: { variant: 'low' | 'high'; payload: number };
}

describe('types', () => {
  it('types keys, variants, payloads and the context from a Flags map', () => {
    const client = createClient<Flags>({ offline: true, bootstrap: snapshot(1, []) });
    expectTypeOf(client).toEqualTypeOf<Client<Flags>>();
    expectTypeOf(client.isEnabled('new-checkout')).toBeBoolean();
    // @ts-expect-error: a misspelled key
    client.isEnabled('new-chekout');
    expectTypeOf(client.variant('banner')).toEqualTypeOf<Variant<'blue' | 'green', { title: string }>>();
    expectTypeOf(client.variant('banner').name).toEqualTypeOf<'blue' | 'green' | 'disabled'>();
    expectTypeOf(client.variant('banner').payload).toEqualTypeOf<{ title: string } | undefined>();
    expectTypeOf(client.variant('limit').payload).toEqualTypeOf<number | undefined>();
    expectTypeOf(client.jsonValue<{ title: string }>('banner', { title: '' })).toEqualTypeOf<{ title: string }>();
    expectTypeOf(client.evaluate('banner')).toEqualTypeOf<Evaluation>();
    expectTypeOf(client.evaluate('banner').reason).toEqualTypeOf<SdkReason>();
    // @ts-expect-error: not a key
    client.variant('colour');
    void client.setContext({ userId: 'u', properties: { plan: 'pro', seats: 3, beta: true } });
    // @ts-expect-error: a misspelled context field (custom attributes go in `properties`)
    void client.setContext({ userID: 'u' });
    // @ts-expect-error: attribute values are strings, numbers, booleans or null
    void client.setContext({ properties: { tags: ['a'] } });
    client.close();
  });

  it('accepts any key without a Flags map', () => {
    const client = createClient({ offline: true });
    expectTypeOf(client.isEnabled).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(client.variant('anything')).toEqualTypeOf<Variant<string, unknown>>();
    expectTypeOf(client.jsonValue('anything', 3)).toEqualTypeOf<number>();
    client.close();
  });

  it('requires url and clientKey unless offline', () => {
    expectTypeOf<{ url: string; clientKey: string }>().toMatchTypeOf<ClientOptions>();
    expectTypeOf<{ offline: true }>().toMatchTypeOf<ClientOptions>();
    // @ts-expect-error: no url, no key, not offline
    const none: ClientOptions = {};
    // @ts-expect-error: no key
    const noKey: ClientOptions = { url: 'https://flags.example.com' };
    // @ts-expect-error: offline: false needs them too
    const notOffline: ClientOptions = { offline: false, url: 'https://flags.example.com' };
    void [none, noKey, notOffline];
  });
});
