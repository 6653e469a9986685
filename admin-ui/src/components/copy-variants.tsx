import { useState } from 'react';
import { api, messageOf, seg } from '../api.ts';
import { useAppData } from '../data.tsx';
import { describeVariants } from '../describe.ts';
import { isProduction } from '../format.ts';
import type { Permission } from '../session.tsx';
import type { FlagEnvironment, Variant } from '../types.ts';
import { Button, ConfirmDialog, useToast } from './ui.tsx';

/**
 * Variants are set per environment; this copies the saved ones of the environment shown (and their
 * stickiness) to every other environment, each through its own versioned write, so nobody types
 * them again three times.
 */
export function CopyVariants({
  flagKey,
  env,
  variants,
  variantStickiness,
  perm,
  disabled,
}: {
  flagKey: string;
  env: string;
  variants: Variant[];
  variantStickiness: string | undefined;
  perm: Permission;
  /** While there are unsaved edits: only saved variants are copied. */
  disabled: boolean;
}) {
  const { environments } = useAppData();
  const notify = useToast();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const others = environments.filter((e) => e.key !== env);
  if (others.length === 0 || variants.length === 0) return null;

  const copy = async () => {
    setBusy(true);
    setError(undefined);
    const failed: string[] = [];
    for (const e of others) {
      const path = `/flags/${seg(flagKey)}/environments/${seg(e.key)}`;
      try {
        const there = await api.get<FlagEnvironment>(path);
        await api.patch(path, { variants, variantStickiness: variantStickiness ?? null }, { version: there.version });
      } catch (err) {
        failed.push(`${e.name}: ${messageOf(err)}`);
      }
    }
    setBusy(false);
    if (failed.length > 0) setError(`Not copied to ${failed.join('; ')}`);
    else {
      setOpen(false);
      notify(`Variants copied to ${others.map((e) => e.name).join(', ')}`, 'success');
    }
  };

  return (
    <>
      <Button
        size="small"
        perm={perm}
        disabled={disabled}
        title={disabled ? 'Save or discard your changes first' : undefined}
        onClick={() => setOpen(true)}
      >
        Use these variants in every environment
      </Button>
      <ConfirmDialog
        open={open}
        title="Use these variants in every environment?"
        confirmLabel={`Copy to ${others.length} ${others.length === 1 ? 'environment' : 'environments'}`}
        danger={others.some((e) => isProduction(e))}
        busy={busy}
        error={error}
        onCancel={() => setOpen(false)}
        onConfirm={() => void copy()}
      >
        <p>
          {describeVariants(variants)} replace the flag’s own variants in {others.map((e) => e.name).join(', ')}. Rules with a split of
          their own keep it.
        </p>
      </ConfirmDialog>
    </>
  );
}
