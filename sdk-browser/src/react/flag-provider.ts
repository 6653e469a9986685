import { createContext, createElement, type ReactNode, useContext, useEffect, useRef } from 'react';
import { type Client, createClient } from '../create-client.ts';
import type { ClientOptions } from '../options.ts';

const FlagContext = createContext<Client | null>(null);

export type FlagProviderProps = { children?: ReactNode } & (
  | { client: Client; options?: undefined }
  | { options: ClientOptions; client?: undefined }
);

/**
 * Makes a client available to the hooks below it: one you created (and close yourself), or one
 * made from `options`, closed when the provider unmounts.
 */
export function FlagProvider({ client, options, children }: FlagProviderProps) {
  // A ref, not a state initializer: StrictMode calls initializers twice and would leak a client.
  const made = useRef<Client | null>(null);
  if (!client && !made.current) made.current = createClient(options as ClientOptions);
  const owned = client ? null : made.current;
  const closing = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    if (!owned) return;
    // StrictMode unmounts and mounts again at once: close only when no mount follows.
    clearTimeout(closing.current);
    return () => {
      closing.current = setTimeout(() => owned.close(), 0);
    };
  }, [owned]);
  return createElement(FlagContext.Provider, { value: client ?? owned }, children);
}

/** The client of the nearest FlagProvider. */
export function useFlagsClient(): Client {
  const client = useContext(FlagContext);
  if (!client) throw new Error('Switchboard hooks need a <FlagProvider> above them');
  return client;
}
