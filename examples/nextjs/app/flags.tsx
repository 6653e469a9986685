'use client';

import { FlagProvider } from '@switchboard/sdk-browser/react';
import type { BrowserBootstrap } from '@switchboard/sdk-browser/server';
import type { ReactNode } from 'react';

/**
 * The provider is a client component: on the server it renders from `bootstrap` and makes no client;
 * in the browser it hydrates from the same bootstrap, then connects and keeps the flags live.
 */
export function Flags({
  bootstrap,
  url,
  clientKey,
  children,
}: {
  bootstrap: BrowserBootstrap | null;
  url: string;
  clientKey: string;
  children: ReactNode;
}) {
  return (
    <FlagProvider options={{ url, clientKey }} bootstrap={bootstrap}>
      {children}
    </FlagProvider>
  );
}
