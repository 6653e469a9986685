import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches again; the old data stays on screen until the new data arrives. */
  reload: () => Promise<T | undefined>;
  set: (data: T) => void;
}

/** Loads data for a view; reloading keeps what is shown (no flicker on live refetches). */
export function useResource<T>(load: () => Promise<T>, deps: ReadonlyArray<string | number | boolean | null | undefined>): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loader.current();
      if (mine === generation.current) setState({ data, error: undefined, loading: false });
      return data;
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
      return undefined;
    }
  }, []);

  // The caller's values decide when to refetch; they are plain values, so a string compares them.
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the caller's values
  useEffect(() => {
    setState({ data: undefined, error: undefined, loading: true });
    void reload();
  }, [key, reload]);

  const set = useCallback((data: T) => {
    generation.current++;
    setState({ data, error: undefined, loading: false });
  }, []);

  return { ...state, reload, set };
}

/** Warns before the tab closes while there is unsaved work. */
export function useBeforeUnload(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const handler = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', handler);
    return () => window.removeEventListener('beforeunload', handler);
  }, [dirty]);
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Switchboard` : 'Switchboard';
  }, [title]);
}
