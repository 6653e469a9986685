import { type FormEvent, useId, useState } from 'react';
import { ApiError, api, seg } from '../api.ts';
import { TagsInput } from '../components/inputs.tsx';
import { IssuesBanner } from '../components/issues-banner.tsx';
import { Button, Field, PageHeader, ReadOnlyNotice, useToast } from '../components/ui.tsx';
import { defaultVariants, VariantsEditor } from '../components/variants.tsx';
import { useAppData } from '../data.tsx';
import { lengthHint, slugify } from '../format.ts';
import { useDocumentTitle } from '../hooks.ts';
import { Issues } from '../issues.ts';
import { Link, navigate } from '../router.tsx';
import { usePermission } from '../session.tsx';
import type { Flag, FlagEnvironment, Variant } from '../types.ts';
import { useAction } from '../use-action.ts';
import { checkVariants } from '../validate.ts';

const KEY = /^[\p{L}\p{N}\p{S}][\p{L}\p{M}\p{N}\p{S}._:-]*$/u;

export function NewFlagPage() {
  useDocumentTitle('New flag');
  const perm = usePermission('editor', 'create flags');
  const readOnlyId = useId();
  const { environments } = useAppData();
  const notify = useToast();
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [keyTouched, setKeyTouched] = useState(false);
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<'boolean' | 'multivariate'>('boolean');
  const [variants, setVariants] = useState<Variant[]>(defaultVariants());
  const [tags, setTags] = useState<string[]>([]);
  const [clientVisible, setClientVisible] = useState(false);
  const [submitted, setSubmitted] = useState(false);

  const effectiveKey = keyTouched ? key : slugify(name);
  const keyProblem =
    effectiveKey === ''
      ? 'Give the flag a key'
      : KEY.test(effectiveKey)
        ? undefined
        : // As the server's grammar (core isValidKey): symbols such as emoji are keys too, spaces, slashes and quotes are not.
          'Use letters, digits, symbols, ".", "_", ":" or "-"; no spaces, slashes or quotes';
  const local = new Issues([
    ...(keyProblem && (submitted || keyTouched) ? [{ path: '/key', message: keyProblem }] : []),
    ...(kind === 'multivariate' ? checkVariants(variants, '/variants') : []),
  ]);

  const create = useAction(
    async () => {
      const flag = await api.post<Flag>('/flags', {
        key: effectiveKey,
        name: name.trim() || effectiveKey,
        description,
        kind,
        tags,
        clientVisible,
      });
      if (kind === 'multivariate') {
        // Variants live in each environment's config; every environment starts with the same ones.
        for (const env of Object.keys(flag.environments)) {
          const version = flag.environments[env]?.version ?? 1;
          await api.patch<FlagEnvironment>(`/flags/${seg(flag.key)}/environments/${seg(env)}`, { variants }, { version });
        }
      }
      notify(`Created ${flag.name}`, 'success');
      navigate(`/flags/${encodeURIComponent(flag.key)}`, { force: true });
    },
    {
      issuesOf: (err) =>
        err.code === 'CONFLICT'
          ? [{ path: '/key', message: 'This key is taken' }]
          : err.issues.map((i) => ({ ...i, path: i.path === '/' ? '' : i.path })),
      messageOf: (err) =>
        err instanceof ApiError
          ? err.code === 'CONFLICT'
            ? `A flag with the key ${effectiveKey} exists already. Pick another key.`
            : err.message
          : String(err),
    },
  );
  const serverIssues = create.issues;
  const issues = local.concat(serverIssues);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (keyProblem || (kind === 'multivariate' && checkVariants(variants, '/variants').length > 0)) return;
    void create.run();
  };

  const otherIssues = serverIssues.list.filter((i) => !['/key', '/name', '/description', '/tags'].some((p) => i.path.startsWith(p)));

  return (
    <div className="page page-narrow">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/flags">Flags</Link> <span aria-hidden="true">/</span> <span aria-current="page">New flag</span>
      </nav>
      <PageHeader title="New flag" subtitle="It starts off in every environment; nothing changes for users until you turn it on." />
      <ReadOnlyNotice reason={perm.reason} id={readOnlyId} />
      <form onSubmit={submit} noValidate className="card form">
        <fieldset disabled={!perm.allowed} className="plain" title={perm.reason} aria-describedby={perm.allowed ? undefined : readOnlyId}>
          <Field label="Name" hint="What people call it, e.g. “New checkout”">
            {(p) => (
              <input
                {...p}
                className="input"
                value={name}
                onChange={(e) => setName(e.target.value)}
                // biome-ignore lint/a11y/noAutofocus: the first field of a form the user just opened
                autoFocus
              />
            )}
          </Field>
          <Field label="Key" hint="What code asks for: client.isEnabled('…'). It cannot change later." error={issues.at('/key')}>
            {(p) => (
              <input
                {...p}
                className="input mono"
                value={effectiveKey}
                onChange={(e) => {
                  setKeyTouched(true);
                  setKey(e.target.value);
                }}
              />
            )}
          </Field>
          <Field label="Description" hint={lengthHint(description)} error={issues.at('/description')}>
            {(p) => <textarea {...p} className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>

          <fieldset className="choice-group">
            <legend>Kind</legend>
            <label className={`choice ${kind === 'boolean' ? 'choice-active' : ''}`}>
              <input type="radio" name="kind" value="boolean" checked={kind === 'boolean'} onChange={() => setKind('boolean')} />
              <span>
                <strong>Boolean</strong>
                <span className="muted small">On or off per user.</span>
              </span>
            </label>
            <label className={`choice ${kind === 'multivariate' ? 'choice-active' : ''}`}>
              <input
                type="radio"
                name="kind"
                value="multivariate"
                checked={kind === 'multivariate'}
                onChange={() => setKind('multivariate')}
              />
              <span>
                <strong>Multivariate</strong>
                <span className="muted small">Users get one of several variants, each with an optional payload.</span>
              </span>
            </label>
          </fieldset>

          {kind === 'multivariate' ? (
            <section className="subsection" aria-labelledby="variants-title">
              <h2 id="variants-title" className="h3">
                Variants
              </h2>
              <p className="muted small">
                Weights are shares of the users who get the flag. Every environment starts with these; each can change them later.
              </p>
              <VariantsEditor variants={variants} onChange={setVariants} path="/variants" issues={issues} context="the flag" />
            </section>
          ) : null}

          <Field label="Tags" hint="Comma-separated, e.g. checkout, q3-launch" error={issues.at('/tags')}>
            {(p) => <TagsInput {...p} tags={tags} onTagsChange={setTags} />}
          </Field>
          <label className="check">
            <input type="checkbox" checked={clientVisible} onChange={(e) => setClientVisible(e.target.checked)} />
            <span>
              Visible to browser and mobile SDKs (client keys)
              <span className="muted small block">Leave off for flags only your servers evaluate; client keys never see them.</span>
            </span>
          </label>
        </fieldset>
        <IssuesBanner title="The flag was not created" error={create.error} issues={otherIssues} />
        <div className="form-actions">
          <Button onClick={() => navigate('/flags')}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.busy} perm={perm}>
            Create flag
          </Button>
        </div>
        {environments.length > 0 ? (
          <p className="muted small">Created in {environments.map((e) => e.name).join(', ')}, switched off.</p>
        ) : null}
      </form>
    </div>
  );
}
