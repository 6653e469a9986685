import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ChangeEvent, SwitchboardClient } from '../src/index.ts';
import { createTestClient } from '../src/testing/index.ts';

interface Flags {
  'new-checkout': boolean;
  banner: { variant: 'a' | 'b'; payload: { title: string } };
}

describe('createTestClient', () => {
  it('serves the values given to every context, with the real interface, and set() changes them with a change event', async () => {
    const client = createTestClient<Flags>({ 'new-checkout': true, banner: { variant: 'b', payload: { title: 'Hi' } } });
    expectTypeOf(client).toMatchTypeOf<SwitchboardClient<Flags>>();
    expect(await client.ready()).toBe(true);
    expect(client.isEnabled('new-checkout', { userId: 'anyone' })).toBe(true);
    expect(client.variant('banner')).toEqual({ name: 'b', enabled: true, payload: { title: 'Hi' } });
    expect(client.jsonValue('banner', { title: 'x' })).toEqual({ title: 'Hi' });

    const changes: ChangeEvent[] = [];
    client.on('change', (e) => changes.push(e));
    client.set('new-checkout', false);
    expect(client.isEnabled('new-checkout')).toBe(false);
    expect(changes.map((e) => e.flags)).toEqual([['new-checkout']]);
    client.set('banner', { variant: 'a', payload: { title: 'Yo' } });
    expect(client.variant('banner', { userId: 'u' })).toEqual({ name: 'a', enabled: true, payload: { title: 'Yo' } });
    client.set('banner', false);
    expect(client.variant('banner')).toEqual({ name: 'disabled', enabled: false });
    expect(changes).toHaveLength(3);

    // @ts-expect-error a key the flags do not have
    createTestClient<Flags>({ 'new-chekout': true });
    // @ts-expect-error a variant the flag does not have
    client.set('banner', { variant: 'c', payload: { title: '' } });
    expect(createTestClient({}).evaluate('missing').reason).toBe('FLAG_NOT_FOUND');
    await client.close();
  });
});

describe('the README example', () => {
  function checkoutTitle(flags: SwitchboardClient<Flags>, userId: string): string {
    if (!flags.isEnabled('new-checkout', { userId })) return 'Checkout';
    return flags.variant('banner', { userId }).payload?.title ?? 'New checkout';
  }

  it('shows the banner title on the new checkout, and the old title without it', () => {
    const flags = createTestClient<Flags>({
      'new-checkout': true,
      banner: { variant: 'b', payload: { title: 'Spring sale' } },
    });
    expect(checkoutTitle(flags, 'u1')).toBe('Spring sale');
    flags.set('new-checkout', false);
    expect(checkoutTitle(flags, 'u1')).toBe('Checkout');
  });
});
