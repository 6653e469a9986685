import { useEffect, useId, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { ConflictBanner } from '../components/conflict-banner.tsx';
import { FormError } from '../components/form-error.tsx';
import { TagsInput } from '../components/inputs.tsx';
import { Button, ConfirmDialog, Field, ReadOnlyNotice, useToast } from '../components/ui.tsx';
import { diffRecord } from '../describe.ts';
import { lengthHint } from '../format.ts';
import { navigate } from '../router.tsx';
import { usePermission } from '../session.tsx';
import type { Flag } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';

interface Form {
  name: string;
  description: string;
  kind: string;
  tags: string[];
  clientVisible: boolean;
}

function formOf(f: Flag): Form {
  return { name: f.name, description: f.description, kind: f.kind, tags: f.tags, clientVisible: f.clientVisible };
}

export function FlagSettings({ flag, onSaved, onChanged }: { flag: Flag; onSaved: (f: Flag) => void; onChanged: () => void }) {
  const perm = usePermission('editor', 'change flags');
  const readOnlyId = useId();
  const notify = useToast();
  const [form, setForm] = useState<Form>(formOf(flag));
  const [base, setBase] = useState<Flag>(flag);
  const [conflict, setConflict] = useState<Flag | null>(null);
  const dirty = JSON.stringify(form) !== JSON.stringify(formOf(base));

  // Follow live changes while nothing is being edited.
  useEffect(() => {
    if (!dirty && flag.version !== base.version) {
      setBase(flag);
      setForm(formOf(flag));
    }
  }, [flag, base.version, dirty]);

  const save = useAction(async () => {
    let saved: Flag;
    try {
      saved = await api.patch<Flag>(`/flags/${seg(flag.key)}`, { ...form, name: form.name.trim() || flag.key }, { version: base.version });
    } catch (err) {
      // Someone else saved first: show both changes instead of an error.
      if (err instanceof ApiError && err.isConflict) {
        setConflict(await api.get<Flag>(`/flags/${seg(flag.key)}`));
        return;
      }
      throw err;
    }
    setBase(saved);
    setForm(formOf(saved));
    setConflict(null);
    onSaved(saved);
    notify('Settings saved', 'success');
  });

  const lifecycle = useConfirm(
    async (confirm: 'archive' | 'restore' | 'delete') => {
      if (confirm === 'delete') {
        await api.del(`/flags/${seg(flag.key)}`);
        notify(`Deleted ${flag.key}`, 'success');
        navigate('/flags', { force: true });
        return;
      }
      const next = await api.post<Flag>(`/flags/${seg(flag.key)}/${confirm}`);
      onSaved(next);
      setBase(next);
      setForm(formOf(next));
      notify(confirm === 'archive' ? `Archived ${flag.key}` : `Restored ${flag.key}`, 'success');
      onChanged();
    },
    {
      messageOf: (err) => {
        const details = err instanceof ApiError ? (err.details as { flags?: string[] } | undefined) : undefined;
        return details?.flags ? `${messageOf(err)}: ${details.flags.join(', ')}` : messageOf(err);
      },
    },
  );
  const confirm = lifecycle.target;

  return (
    <div className="settings page-narrow">
      <ReadOnlyNotice reason={perm.reason} id={readOnlyId} />
      {conflict ? (
        <ConflictBanner
          title="Not saved: someone else changed these settings meanwhile"
          theirs={diffRecord(formOf(base), formOf(conflict))}
          mine={diffRecord(formOf(base), form)}
          keepLabel="Keep my values and review"
          onKeep={() => {
            setBase(conflict);
            setConflict(null);
          }}
          onDiscard={() => {
            setBase(conflict);
            setForm(formOf(conflict));
            setConflict(null);
            onSaved(conflict);
          }}
        />
      ) : null}
      <form className="card form" onSubmit={submitWith(save)} noValidate>
        <fieldset className="plain" disabled={!perm.allowed} title={perm.reason} aria-describedby={perm.allowed ? undefined : readOnlyId}>
          <legend className="h3">Settings</legend>
          <Field label="Name" error={save.issues.at('/name')}>
            {(p) => <input {...p} className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
          </Field>
          <Field label="Description" hint={lengthHint(form.description)} error={save.issues.at('/description')}>
            {(p) => (
              <textarea
                {...p}
                className="input"
                rows={3}
                value={form.description}
                onChange={(e) => setForm({ ...form, description: e.target.value })}
              />
            )}
          </Field>
          <Field
            label="Kind"
            hint="Multivariate flags serve one of several variants; boolean flags are on or off."
            error={save.issues.at('/kind')}
          >
            {(p) => (
              <select {...p} className="input" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
                <option value="boolean">Boolean</option>
                <option value="multivariate">Multivariate</option>
              </select>
            )}
          </Field>
          <Field label="Tags" hint="Comma-separated" error={save.issues.at('/tags')}>
            {(p) => <TagsInput {...p} tags={form.tags} onTagsChange={(tags) => setForm({ ...form, tags })} />}
          </Field>
          <label className="check">
            <input type="checkbox" checked={form.clientVisible} onChange={(e) => setForm({ ...form, clientVisible: e.target.checked })} />
            Visible to browser and mobile SDKs (client keys)
          </label>
        </fieldset>
        <FormError error={save.error} />
        <div className="form-actions">
          <Button onClick={() => setForm(formOf(base))} disabled={!dirty || save.busy}>
            Undo changes
          </Button>
          <Button type="submit" variant="primary" busy={save.busy} perm={perm} disabled={!dirty}>
            Save settings
          </Button>
        </div>
      </form>

      <section className="card danger-zone" aria-labelledby="lifecycle-title">
        <h2 id="lifecycle-title" className="h3">
          {flag.archived ? 'Archived' : 'Archive'}
        </h2>
        {flag.archived ? (
          <>
            <p>SDKs no longer receive this flag. Restore it to use it again, or delete it for good.</p>
            <div className="row gap-small">
              <Button perm={perm} onClick={() => lifecycle.open('restore')}>
                Restore flag
              </Button>
              <Button variant="danger" perm={perm} onClick={() => lifecycle.open('delete')}>
                Delete flag
              </Button>
            </div>
          </>
        ) : (
          <>
            <p>Archive a flag once its code is gone: SDKs stop receiving it, and its history stays.</p>
            <Button variant="danger" perm={perm} onClick={() => lifecycle.open('archive')}>
              Archive flag
            </Button>
          </>
        )}
      </section>
      <ConfirmDialog
        {...lifecycle.dialog}
        title={
          confirm === 'delete' ? `Delete ${flag.key} for good?` : confirm === 'archive' ? `Archive ${flag.key}?` : `Restore ${flag.key}?`
        }
        confirmLabel={confirm === 'delete' ? 'Delete flag' : confirm === 'archive' ? 'Archive flag' : 'Restore flag'}
        danger={confirm !== 'restore'}
      >
        <p>
          {confirm === 'delete'
            ? 'The flag and its versions are removed. Code that still asks for it gets the default value.'
            : confirm === 'archive'
              ? 'SDKs in every environment stop receiving it; code that still asks for it gets the default value.'
              : 'SDKs receive it again, in the state it had in each environment.'}
        </p>
      </ConfirmDialog>
    </div>
  );
}
