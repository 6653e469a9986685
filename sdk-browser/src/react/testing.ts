import type { AnyFlags } from '@switchboard/core';
import { createElement, type ReactNode, useState } from 'react';
import type { Client } from '../create-client.ts';
import { createTestClient, type TestClient, type TestClientOptions, type TestFlags } from '../testing.ts';
import { FlagProvider } from './flag-provider.ts';

export * from '../testing.ts';

export type TestFlagProviderProps<F = AnyFlags> = { children?: ReactNode } & (
  | { flags?: TestFlags<F>; options?: TestClientOptions; client?: undefined }
  | { client: TestClient<F>; flags?: undefined; options?: undefined }
);

/**
 * A `FlagProvider` over a test client: `flags` (values read once, at mount) or a `client` from
 * `createTestClient` that the test keeps to `set()` values, which re-renders what reads them.
 *
 * ```tsx
 * render(<TestFlagProvider flags={{ 'new-checkout': true }}><Checkout /></TestFlagProvider>);
 * ```
 */
export function TestFlagProvider<F = AnyFlags>({ flags, options, client, children }: TestFlagProviderProps<F>) {
  const [own] = useState(() => client ?? createTestClient<F>(flags, options));
  // The test client is a `Client` apart from `variant`'s parsed payload, which the hooks do not use.
  return createElement(FlagProvider, { client: (client ?? own) as unknown as Client }, children);
}
