import { type FormEvent, useEffect, useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { Badge, Button, CopyButton, EmptyState, Field, PageHeader, StatusPill } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { dateTime } from '../format.ts';
import { useDocumentTitle } from '../hooks.ts';
import { Link, setQuery, useLocation } from '../router.tsx';

/**
 * "What does user X in DE on plan pro get, and why?": one environment, one context (a form with
 * the known attributes, or JSON), every flag's result with its reason and the rule that decided.
 * The environment and the context live in the URL, so an answer can be shared as a link.
 */

export interface PlaygroundContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  appName?: string;
  currentTime?: string;
  properties?: Record<string, string | number | boolean>;
}

interface PlaygroundResult {
  flag: string;
  name: string;
  enabled: boolean;
  reason: string;
  rule: { id: string; index: number; description?: string } | null;
  variant: { name: string; enabled: boolean; payload?: { type: string; value: string } };
  errorCode?: string;
  errorMessage?: string;
}

interface Answer {
  environment: string;
  revision: number;
  evaluatedAt: string;
  results: PlaygroundResult[];
}

const FIELDS = ['userId', 'sessionId', 'remoteAddress', 'appName', 'currentTime'] as const;

export const REASONS: Record<string, string> = {
  OFF: 'Off in this environment',
  ON: 'On for everyone (no rules)',
  RULE_MATCH: 'A rule matched',
  NO_RULE_MATCH: 'No rule matched',
  DEPENDENCY_FAILED: 'A flag it depends on is not as required',
  FLAG_NOT_FOUND: 'No such flag here',
  ERROR: 'Could not be evaluated',
};

/** The context from flat JSON as people write it: known fields stay, anything else is a property. */
export function contextFromJson(text: string): PlaygroundContext {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('The context must be a JSON object');
  const out: PlaygroundContext = {};
  const properties: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (k === 'properties' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [pk, pv] of Object.entries(v)) properties[pk] = scalar(pk, pv);
    } else if (k === 'targetingKey') out.userId = String(v);
    else if ((FIELDS as readonly string[]).includes(k)) out[k as (typeof FIELDS)[number]] = String(v);
    else properties[k] = scalar(k, v);
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  return out;
}

function scalar(key: string, v: unknown): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new Error(`${key} must be a string, a number or true/false`);
}

interface Row {
  attribute: string;
  value: string;
}

function rowsOf(ctx: PlaygroundContext): Row[] {
  const rows: Row[] = Object.entries(ctx.properties ?? {}).map(([attribute, v]) => ({ attribute, value: String(v) }));
  return rows.length > 0 ? rows : [{ attribute: '', value: '' }];
}

function contextOf(fields: Record<string, string>, rows: Row[]): PlaygroundContext {
  const ctx: PlaygroundContext = {};
  for (const f of FIELDS) {
    const v = fields[f]?.trim();
    if (v) ctx[f] = f === 'currentTime' ? new Date(v).toISOString() : v;
  }
  const properties: Record<string, string> = {};
  for (const r of rows) if (r.attribute.trim()) properties[r.attribute.trim()] = r.value;
  if (Object.keys(properties).length > 0) ctx.properties = properties;
  return ctx;
}

/** An ISO time as a datetime-local input shows it: in the viewer's time zone. */
function localInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function ruleLabel(r: PlaygroundResult): string {
  if (!r.rule) return '';
  return `Rule ${r.rule.index}${r.rule.description ? `: ${r.rule.description}` : ''}`;
}

export function PlaygroundPage() {
  useDocumentTitle('Playground');
  const { environments, attributes } = useAppData();
  const { query } = useLocation();
  const listId = useId();
  const urlEnv = query.get('env') ?? '';
  const urlCtx = query.get('context') ?? '';
  const env = urlEnv || environments.find((e) => e.protected)?.key || environments[0]?.key || '';

  const initial = (() => {
    try {
      return urlCtx ? contextFromJson(urlCtx) : {};
    } catch {
      return {};
    }
  })();
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [fields, setFields] = useState<Record<string, string>>(() => ({
    userId: initial.userId ?? '',
    sessionId: initial.sessionId ?? '',
    remoteAddress: initial.remoteAddress ?? '',
    appName: initial.appName ?? '',
    currentTime: localInput(initial.currentTime),
  }));
  const [rows, setRows] = useState<Row[]>(() => rowsOf(initial));
  const [json, setJson] = useState(() => JSON.stringify(initial, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [only, setOnly] = useState('');

  // A shared link answers at once: the URL's environment and context are evaluated on arrival.
  // biome-ignore lint/correctness/useExhaustiveDependencies: evaluates what the URL says, when it says it
  useEffect(() => {
    if (!env || !urlCtx) return;
    void run(env, initial);
  }, [env, urlCtx]);

  async function run(environment: string, context: PlaygroundContext) {
    setBusy(true);
    setError(null);
    try {
      setAnswer(await api.post<Answer>('/evaluate', { environment, context }));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const current = (): PlaygroundContext | null => {
    if (mode === 'form') return contextOf(fields, rows);
    try {
      const ctx = contextFromJson(json);
      setJsonError(null);
      return ctx;
    } catch (err) {
      setJsonError(err instanceof SyntaxError ? `Not valid JSON: ${err.message}` : messageOf(err));
      return null;
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ctx = current();
    if (!ctx) return;
    const text = JSON.stringify(ctx);
    // The URL follows, so the answer is linkable; if it did not change, evaluate again anyway.
    if (text === urlCtx && env === urlEnv) void run(env, ctx);
    else setQuery({ env, context: text });
  };

  const switchMode = (next: 'form' | 'json') => {
    if (next === mode) return;
    if (next === 'json') setJson(JSON.stringify(contextOf(fields, rows), null, 2));
    else {
      try {
        const ctx = contextFromJson(json);
        setFields({
          userId: ctx.userId ?? '',
          sessionId: ctx.sessionId ?? '',
          remoteAddress: ctx.remoteAddress ?? '',
          appName: ctx.appName ?? '',
          currentTime: localInput(ctx.currentTime),
        });
        setRows(rowsOf(ctx));
        setJsonError(null);
      } catch (err) {
        setJsonError(messageOf(err));
        return;
      }
    }
    setMode(next);
  };

  const results = (answer?.results ?? []).filter(
    (r) => !only || r.flag.toLowerCase().includes(only.toLowerCase()) || r.name.toLowerCase().includes(only.toLowerCase()),
  );
  const on = answer?.results.filter((r) => r.enabled).length ?? 0;

  return (
    <div className="page">
      <PageHeader
        title="Playground"
        subtitle="See what a user gets in an environment, and which rule decides it. Nothing is changed or counted."
      />
      <form className="card playground-form" onSubmit={submit} aria-label="Context to evaluate">
        <div className="playground-top">
          <Field label="Environment">
            {(p) => (
              <select {...p} className="input" value={env} onChange={(e) => setQuery({ env: e.target.value })}>
                {environments.map((e) => (
                  <option key={e.key} value={e.key}>
                    {e.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <fieldset className="segmented">
            <legend className="visually-hidden">Write the context as</legend>
            <label className="check">
              <input type="radio" name="mode" checked={mode === 'form'} onChange={() => switchMode('form')} /> Form
            </label>
            <label className="check">
              <input type="radio" name="mode" checked={mode === 'json'} onChange={() => switchMode('json')} /> JSON
            </label>
          </fieldset>
        </div>
        {mode === 'form' ? (
          <>
            <div className="playground-fields">
              <Field label="User ID" hint="userId: what rollouts stick to by default">
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={fields.userId}
                    onChange={(e) => setFields({ ...fields, userId: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Session ID">
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={fields.sessionId}
                    onChange={(e) => setFields({ ...fields, sessionId: e.target.value })}
                  />
                )}
              </Field>
              <Field label="IP address" hint="remoteAddress">
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={fields.remoteAddress}
                    onChange={(e) => setFields({ ...fields, remoteAddress: e.target.value })}
                  />
                )}
              </Field>
              <Field label="App name">
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={fields.appName}
                    onChange={(e) => setFields({ ...fields, appName: e.target.value })}
                  />
                )}
              </Field>
              <Field label="At the time" hint="Your time zone; empty is now">
                {(p) => (
                  <input
                    {...p}
                    type="datetime-local"
                    className="input"
                    value={fields.currentTime}
                    onChange={(e) => setFields({ ...fields, currentTime: e.target.value })}
                  />
                )}
              </Field>
            </div>
            <fieldset className="playground-props">
              <legend>Attributes</legend>
              <datalist id={listId}>
                {attributes.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.description}
                  </option>
                ))}
              </datalist>
              {rows.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
                <div key={i} className="playground-prop">
                  <Field label={`Attribute ${i + 1} name`} hideLabel>
                    {(p) => (
                      <input
                        {...p}
                        list={listId}
                        className="input mono"
                        placeholder="country"
                        value={r.attribute}
                        onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, attribute: e.target.value } : x)))}
                      />
                    )}
                  </Field>
                  <Field label={`Attribute ${i + 1} value`} hideLabel>
                    {(p) => (
                      <input
                        {...p}
                        className="input mono"
                        placeholder="DE"
                        value={r.value}
                        onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                      />
                    )}
                  </Field>
                  <Button
                    size="small"
                    variant="ghost"
                    aria-label={`Remove attribute ${i + 1}`}
                    onClick={() => setRows(rows.length === 1 ? [{ attribute: '', value: '' }] : rows.filter((_, j) => j !== i))}
                  >
                    Remove
                  </Button>
                </div>
              ))}
              <Button size="small" onClick={() => setRows([...rows, { attribute: '', value: '' }])}>
                <span aria-hidden="true">+</span> Add attribute
              </Button>
            </fieldset>
          </>
        ) : (
          <Field
            label="Context (JSON)"
            hint='Flat, as an SDK gets it: {"userId": "u1", "country": "DE", "plan": "pro"}'
            error={jsonError ?? undefined}
          >
            {(p) => <textarea {...p} className="input mono" rows={8} value={json} onChange={(e) => setJson(e.target.value)} />}
          </Field>
        )}
        <div className="playground-actions">
          <Button type="submit" variant="primary" busy={busy} disabled={!env}>
            Evaluate
          </Button>
          {answer ? <CopyButton text={window.location.href} label="Copy link" /> : null}
        </div>
      </form>

      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {answer ? (
        <section className="section" aria-labelledby="results-title">
          <div className="section-header">
            <h2 id="results-title">
              {on} of {answer.results.length} flags on in{' '}
              {environments.find((e) => e.key === answer.environment)?.name ?? answer.environment}
            </h2>
            <p className="muted small">
              Revision {answer.revision}, evaluated {dateTime(answer.evaluatedAt)}.
            </p>
          </div>
          <Field label="Find a flag in the results" className="filters-search">
            {(p) => <input {...p} type="search" className="input" value={only} onChange={(e) => setOnly(e.target.value)} />}
          </Field>
          {results.length === 0 ? (
            <EmptyState title="No flags to show" />
          ) : (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">Each flag’s result for this context</caption>
                <thead>
                  <tr>
                    <th scope="col">Flag</th>
                    <th scope="col">Result</th>
                    <th scope="col">Variant</th>
                    <th scope="col">Why</th>
                    <th scope="col">Decided by</th>
                  </tr>
                </thead>
                <tbody>
                  {results.map((r) => (
                    <tr key={r.flag}>
                      <th scope="row">
                        <Link to={`/flags/${encodeURIComponent(r.flag)}?env=${encodeURIComponent(answer.environment)}`}>{r.name}</Link>
                        <div>
                          <code className="key">{r.flag}</code>
                        </div>
                      </th>
                      <td>
                        <StatusPill on={r.enabled} />
                      </td>
                      <td>
                        {r.variant.name === 'disabled' ? (
                          <span className="muted">none</span>
                        ) : (
                          <>
                            <code>{r.variant.name}</code>
                            {r.variant.payload ? <div className="muted small mono">{r.variant.payload.value.slice(0, 120)}</div> : null}
                          </>
                        )}
                      </td>
                      <td>
                        {REASONS[r.reason] ?? r.reason}
                        {r.errorCode ? (
                          <div>
                            <Badge tone="danger" title={r.errorMessage}>
                              {r.errorCode}
                            </Badge>
                          </div>
                        ) : null}
                      </td>
                      <td>{r.rule ? ruleLabel(r) : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}
    </div>
  );
}
