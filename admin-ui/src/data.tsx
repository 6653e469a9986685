import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { api } from './api.ts';
import { useResource } from './hooks.ts';
import { useActivity } from './live.ts';
import type { Attribute, Environment } from './types.ts';

/** Data nearly every view needs: the environments (in creation order) and the known attributes. */
export interface AppData {
  environments: Environment[];
  attributes: Attribute[];
  reloadEnvironments: () => void;
}

const AppDataContext = createContext<AppData>({ environments: [], attributes: [], reloadEnvironments: () => {} });

export function useAppData(): AppData {
  return useContext(AppDataContext);
}

export function AppDataProvider({ children }: { children: ReactNode }) {
  const envs = useResource(() => api.get<{ environments: Environment[] }>('/environments'), []);
  const attrs = useResource(() => api.getAll<'attributes', Attribute>('/attributes', 'attributes'), []);
  useActivity(
    (a) => a.resourceType === 'environment',
    () => void envs.reload(),
  );
  useActivity(
    (a) => a.resourceType === 'attribute',
    () => void attrs.reload(),
  );
  const value = useMemo(
    () => ({
      environments: envs.data?.environments ?? [],
      attributes: attrs.data?.attributes ?? [],
      reloadEnvironments: () => void envs.reload(),
    }),
    [envs.data, attrs.data, envs.reload],
  );
  return <AppDataContext.Provider value={value}>{children}</AppDataContext.Provider>;
}
