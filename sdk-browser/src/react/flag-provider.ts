import type { AnyFlags } from '@switchboard/core';
import { createContext, createElement, type ReactNode, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { type Client, createClient } from '../create-client.ts';
import type { ClientOptions } from '../options.ts';
import { type Bootstrap, bootstrapClient } from './bootstrap-client.ts';

const FlagContext = createContext<Client | null>(null);

/** `F`: the `Flags` map of a typed client (`createClient<Flags>()`), which the provider takes as it is. */
export type FlagProviderProps<F = AnyFlags> = { children?: ReactNode } & (
  | { client: Client<F>; options?: undefined; bootstrap?: undefined }
  | {
      /** Read once, when the client is made (in the browser, after the first render). */
      options: ClientOptions;
      /**
       * What `getBrowserBootstrap` (`@switchboard/sdk-browser/server`) returned on the server, or a
       * bare client view: the server render and the browser's first render read their flags from
       * it, and the client starts from it.
       */
      bootstrap?: Bootstrap | null;
      client?: undefined;
    }
);

// Layout effects run before the browser paints, so a page never shows the stand-in's answers for a
// frame; on a server neither kind runs (and React 18 warns about layout effects there).
const useClientEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Makes a client available to the hooks below it: one you created (and close yourself), or one
 * made from `options`. That one is made in an effect, so only in a browser: a server render makes
 * no client (no stream, timer or request, nothing kept) and, like the browser's first render, reads
 * the flags from `bootstrap`. It is closed when the provider unmounts.
 */
export function FlagProvider<F = AnyFlags>({ client: typed, options, bootstrap, children }: FlagProviderProps<F>) {
  // The hooks read any key: `createFlagHooks<Flags>()` types them, not the provider.
  const client = typed as Client | undefined;
  const boot = bootstrap ?? options?.bootstrap;
  // biome-ignore lint/correctness/useExhaustiveDependencies: options are read once, as the client's are
  const standIn = useMemo(() => bootstrapClient(boot, options?.operators), [boot]);
  const [owned, setOwned] = useState<Client | null>(null);
  // Kept across StrictMode's unmount-and-mount, which would otherwise open a second stream.
  const made = useRef<Client | null>(null);
  const closing = useRef<ReturnType<typeof setTimeout>>(undefined);
  // Options are read once, when the client is made, as `createClient` reads them.
  useClientEffect(() => {
    if (client) return;
    clearTimeout(closing.current);
    const full = boot && 'snapshot' in boot ? boot : undefined;
    made.current ??= createClient({ context: full?.context, ...options, bootstrap: boot } as ClientOptions);
    const c = made.current;
    setOwned(c);
    return () => {
      // StrictMode unmounts and mounts again at once: close only when no mount follows.
      closing.current = setTimeout(() => {
        c.close();
        made.current = null;
      }, 0);
    };
  }, [client]);
  return createElement(FlagContext.Provider, { value: client ?? owned ?? standIn }, children);
}

/** The client of the nearest FlagProvider (during a server render, a read-only one over the bootstrap). */
export function useFlagsClient(): Client {
  const client = useContext(FlagContext);
  if (!client) throw new Error('Switchboard hooks need a <FlagProvider> above them');
  return client;
}
