import { useState } from 'react';
import { type ActionOptions, useAction } from './use-action.ts';

export interface Confirm<T> {
  /** What the open dialog is about; null while it is closed. */
  target: T | null;
  open: (target: T) => void;
  close: () => void;
  /** Spread into a ConfirmDialog. */
  dialog: { open: boolean; busy: boolean; error: string | undefined; onCancel: () => void; onConfirm: () => void };
}

/**
 * A confirm-first action (revoke, delete, disable): the dialog opens on a target, confirming runs
 * `act` on it, and it closes once that succeeded; a failure stays in the dialog.
 */
export function useConfirm<T>(act: (target: T) => Promise<void>, options?: ActionOptions): Confirm<T> {
  const [target, setTarget] = useState<T | null>(null);
  const action = useAction(async (t: T) => {
    await act(t);
    setTarget(null);
  }, options);
  const close = () => setTarget(null);
  return {
    target,
    open: (t) => {
      action.reset();
      setTarget(t);
    },
    close,
    dialog: {
      open: target !== null,
      busy: action.busy,
      error: action.error,
      onCancel: close,
      onConfirm: () => {
        if (target !== null) void action.run(target);
      },
    },
  };
}
