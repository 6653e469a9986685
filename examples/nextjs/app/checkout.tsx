'use client';

import { useFlag, useFlagsStatus, useVariant } from '@switchboard/sdk-browser/react';

export function Checkout() {
  const newCheckout = useFlag('new-checkout');
  const banner = useVariant<{ title: string }>('banner');
  const { ready } = useFlagsStatus();
  return (
    <main>
      <p id="checkout">{newCheckout ? 'new checkout' : 'old checkout'}</p>
      <p id="banner">{banner.enabled ? `${banner.name}: ${banner.payload?.title ?? ''}` : 'no banner'}</p>
      <p id="status">{ready ? 'ready' : 'loading'}</p>
    </main>
  );
}
