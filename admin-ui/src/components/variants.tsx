import { weightPercent } from '../format.ts';
import type { Issues } from '../issues.ts';
import { STICKINESS_OPTIONS } from '../operators.ts';
import type { Variant } from '../types.ts';
import { checkPayload, WEIGHT_TOTAL } from '../validate.ts';
import { NumberInput } from './inputs.tsx';
import { Button, Field } from './ui.tsx';

export const PAYLOAD_TYPES = [
  { value: '', label: 'No payload' },
  { value: 'string', label: 'String' },
  { value: 'json', label: 'JSON' },
  { value: 'number', label: 'Number' },
  { value: 'csv', label: 'CSV' },
];

/** Weights out of 1000 shared as evenly as integers allow (remainder to the first ones). */
export function splitEvenly(variants: Variant[]): Variant[] {
  const n = variants.length;
  if (n === 0) return variants;
  const base = Math.floor(WEIGHT_TOTAL / n);
  const extra = WEIGHT_TOTAL - base * n;
  return variants.map((v, i) => ({ ...v, weight: base + (i < extra ? 1 : 0) }));
}

export function defaultVariants(): Variant[] {
  return [
    { name: 'control', weight: 500 },
    { name: 'treatment', weight: 500 },
  ];
}

function nextName(variants: Variant[]): string {
  for (let i = variants.length + 1; ; i++) {
    const name = `variant-${i}`;
    if (!variants.some((v) => v.name === name)) return name;
  }
}

export interface VariantsEditorProps {
  variants: Variant[];
  onChange: (variants: Variant[]) => void;
  path: string;
  issues: Issues;
  /** "the flag", "rule 2": completes labels. */
  context: string;
}

export function VariantsEditor({ variants, onChange, path, issues, context }: VariantsEditorProps) {
  const total = variants.reduce((n, v) => n + (Number.isFinite(v.weight) ? v.weight : 0), 0);
  const balanced = Math.round(total) === WEIGHT_TOTAL;
  const update = (i: number, next: Variant) => onChange(variants.map((v, j) => (j === i ? next : v)));
  const sumError = issues.exact(path);
  return (
    <div className="variants">
      {variants.map((v, i) => {
        const p = `${path}/${i}`;
        const payloadProblem = v.payload ? checkPayload(v.payload.type, v.payload.value) : undefined;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a variant's name is being edited, so the position is its identity
          <fieldset className="variant" key={i}>
            <legend className="visually-hidden">{`Variant ${i + 1} of ${context}`}</legend>
            <div className="variant-grid">
              <Field label="Variant name" error={issues.at(`${p}/name`)}>
                {(fp) => (
                  <input {...fp} className="input mono" value={v.name} onChange={(e) => update(i, { ...v, name: e.target.value })} />
                )}
              </Field>
              <Field label="Weight (%)" error={issues.at(`${p}/weight`)}>
                {(fp) => (
                  <div className="input-suffix">
                    <NumberInput
                      {...fp}
                      value={v.weight}
                      scale={0.1}
                      min={0}
                      max={100}
                      step={0.1}
                      onValueChange={(w) => update(i, { ...v, weight: w })}
                    />
                    <span aria-hidden="true">%</span>
                  </div>
                )}
              </Field>
              <Field label="Payload type">
                {(fp) => (
                  <select
                    {...fp}
                    className="input"
                    value={v.payload?.type ?? ''}
                    onChange={(e) => {
                      const type = e.target.value;
                      const { payload: _drop, ...rest } = v;
                      update(i, type ? { ...rest, payload: { type, value: v.payload?.value ?? (type === 'json' ? '{}' : '') } } : rest);
                    }}
                  >
                    {PAYLOAD_TYPES.map((t) => (
                      <option key={t.value} value={t.value}>
                        {t.label}
                      </option>
                    ))}
                    {v.payload && !PAYLOAD_TYPES.some((t) => t.value === v.payload?.type) ? (
                      <option value={v.payload.type}>{v.payload.type}</option>
                    ) : null}
                  </select>
                )}
              </Field>
              {v.payload ? (
                <Field
                  label="Payload"
                  className="variant-payload"
                  hint={
                    v.payload.type === 'json' && !payloadProblem
                      ? '✓ Valid JSON'
                      : v.payload.type === 'csv'
                        ? 'Comma-separated values'
                        : undefined
                  }
                  error={payloadProblem ?? issues.at(`${p}/payload`)}
                >
                  {(fp) =>
                    v.payload?.type === 'json' ? (
                      <textarea
                        {...fp}
                        className="input mono"
                        rows={3}
                        spellCheck={false}
                        value={v.payload.value}
                        onChange={(e) => update(i, { ...v, payload: { type: 'json', value: e.target.value } })}
                      />
                    ) : (
                      <input
                        {...fp}
                        className="input mono"
                        inputMode={v.payload?.type === 'number' ? 'decimal' : undefined}
                        value={v.payload?.value ?? ''}
                        onChange={(e) => update(i, { ...v, payload: { type: v.payload?.type ?? 'string', value: e.target.value } })}
                      />
                    )
                  }
                </Field>
              ) : null}
            </div>
            <div className="variant-actions">
              <Button
                variant="ghost"
                size="small"
                onClick={() => onChange(variants.filter((_, j) => j !== i))}
                aria-label={`Remove variant ${v.name || i + 1} of ${context}`}
              >
                Remove
              </Button>
            </div>
          </fieldset>
        );
      })}
      <div className={`weights-total ${balanced ? 'ok' : 'bad'}`} aria-live="polite">
        <div className="weights-bar" aria-hidden="true">
          {variants.map((v, i) => (
            <span
              // biome-ignore lint/suspicious/noArrayIndexKey: display only
              key={i}
              className={`weights-seg seg-${i % 6}`}
              style={{ width: `${Math.max(0, Math.min(100, (v.weight / WEIGHT_TOTAL) * 100))}%` }}
              title={`${v.name} ${weightPercent(v.weight)}`}
            />
          ))}
        </div>
        <span>
          Total {weightPercent(total)}
          {balanced ? ' ✓' : ' — the weights must add up to 100%'}
        </span>
      </div>
      {sumError && !sumError.startsWith('The weights add up') ? <p className="field-error">{sumError}</p> : null}
      <div className="row gap-small">
        <Button size="small" onClick={() => onChange([...variants, { name: nextName(variants), weight: 0 }])}>
          <span aria-hidden="true">+</span> Add variant
        </Button>
        <Button size="small" variant="ghost" onClick={() => onChange(splitEvenly(variants))} disabled={variants.length === 0}>
          Split evenly
        </Button>
      </div>
    </div>
  );
}

export function StickinessSelect({
  value,
  onChange,
  label,
  error,
  hint,
}: {
  value: string | undefined;
  onChange: (v: string) => void;
  label: string;
  error?: string | undefined;
  hint?: string;
}) {
  const current = value ?? 'default';
  const custom = !STICKINESS_OPTIONS.some((o) => o.value === current);
  return (
    <div className="stickiness">
      <Field label={label} hint={hint} error={custom ? undefined : error}>
        {(p) => (
          <select
            {...p}
            className="input"
            value={custom ? '__custom' : current}
            onChange={(e) => onChange(e.target.value === '__custom' ? '' : e.target.value)}
          >
            {STICKINESS_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
            <option value="__custom">Another attribute…</option>
          </select>
        )}
      </Field>
      {custom ? (
        <Field label={`${label}: attribute`} error={error}>
          {(p) => (
            <input {...p} className="input mono" value={current} placeholder="e.g. accountId" onChange={(e) => onChange(e.target.value)} />
          )}
        </Field>
      ) : null}
    </div>
  );
}
