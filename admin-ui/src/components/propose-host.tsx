import { type ReactNode, useEffect, useState } from 'react';
import type { Environment } from '../types.ts';
import { type ProtectedWrite, useProtectedWrite } from './protected-confirm.tsx';

/**
 * The protected-write flow (confirm with the diff, or propose a change request where approvals are
 * needed) for pages whose writes reach several environments (the flag list's switches, history's
 * Revert): `useProtectedWrite` serves one environment, so each write mounts its own host for its
 * environment, which opens the flow at once.
 */
export function useProposal(): { open: (env: Environment, w: ProtectedWrite) => void; element: ReactNode } {
  const [shown, setShown] = useState<{ env: Environment; w: ProtectedWrite; n: number } | null>(null);
  const open = (env: Environment, w: ProtectedWrite) => setShown((s) => ({ env, w, n: (s?.n ?? 0) + 1 }));
  const element = shown ? <Host key={shown.n} env={shown.env} w={shown.w} /> : null;
  return { open, element };
}

function Host({ env, w }: { env: Environment; w: ProtectedWrite }) {
  const guard = useProtectedWrite(env);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per host (a new write mounts a new one)
  useEffect(() => {
    guard.write(w);
  }, []);
  return <>{guard.element}</>;
}

/** Whether writes to this environment become change requests. */
export function needsApproval(env: Environment | undefined): boolean {
  return (env?.requiredApprovals ?? 0) > 0;
}
