import { type FormEvent, useCallback, useRef, useState } from 'react';
import { ApiError, type IssueDetail, messageOf } from './api.ts';
import { Issues } from './issues.ts';

export interface ActionOptions {
  /** Field issues for a rejected request; by default the ones the server listed. */
  issuesOf?: (err: ApiError) => IssueDetail[];
  /** The message shown for a failure; by default the error's own. */
  messageOf?: (err: unknown) => string;
}

export interface Action<A extends unknown[]> {
  /** Runs the action; a failure ends up in `error` and `issues`, never as a rejection. */
  run: (...args: A) => Promise<void>;
  busy: boolean;
  error: string | undefined;
  issues: Issues;
  /** Forgets the last failure (e.g. when a dialog opens again). */
  reset: () => void;
}

/**
 * The submit pattern every form and dialog shares: busy while the request runs, the last failure
 * as a message plus the field issues the server reported, both cleared when it runs again.
 */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>, options: ActionOptions = {}): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [issues, setIssues] = useState(new Issues());
  // The latest closures, so `run` sees the current form without being recreated each render.
  const latest = useRef({ action, options });
  latest.current = { action, options };

  const run = useCallback(async (...args: A) => {
    const { action, options } = latest.current;
    setBusy(true);
    setError(undefined);
    setIssues(new Issues());
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof ApiError) setIssues(new Issues(options.issuesOf ? options.issuesOf(err) : err.issues));
      setError(options.messageOf ? options.messageOf(err) : messageOf(err));
    } finally {
      setBusy(false);
    }
  }, []);

  const reset = useCallback(() => {
    setError(undefined);
    setIssues(new Issues());
  }, []);

  return { run, busy, error, issues, reset };
}

/** A form's onSubmit that runs the action instead of reloading the page. */
export function submitWith(action: Pick<Action<[]>, 'run'>): (e: FormEvent) => void {
  return (e) => {
    e.preventDefault();
    void action.run();
  };
}
