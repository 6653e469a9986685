import { useId } from 'react';
import { formatNumber } from '../format.ts';
import type { Issues } from '../issues.ts';
import type { Dependency, Rule, Segment } from '../types.ts';
import { type AttributeHints, ConditionsEditor, newCondition } from './conditions.tsx';
import { FlagPicker } from './flag-picker.tsx';
import { NumberInput } from './inputs.tsx';
import { useRampedRule } from './pending-work.tsx';
import { Button, Field } from './ui.tsx';
import { defaultVariants, StickinessSelect, VariantsEditor } from './variants.tsx';

export function newRule(): Rule {
  return { conditions: [newCondition()], rollout: { percentage: 100, stickiness: 'default' } };
}

interface RuleCardProps {
  rule: Rule;
  index: number;
  count: number;
  flagKey: string;
  multivariate: boolean;
  segments: Segment[];
  hints: AttributeHints;
  issues: Issues;
  onChange: (r: Rule) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}

function RuleCard({ rule, index, count, flagKey, multivariate, segments, hints, issues, onChange, onMove, onRemove }: RuleCardProps) {
  const headingId = useId();
  const path = `/rules/${index}`;
  const name = `rule ${index + 1}`;
  const rollout = rule.rollout ?? { percentage: 100 };
  const pct = rollout.percentage;
  const chosen = rule.segments ?? [];
  const available = segments.filter((s) => !chosen.includes(s.key));
  const ruleError = issues.exact(path) ?? issues.exact(`${path}/rollout`);
  const underRamp = useRampedRule(flagKey, rule.id);
  return (
    <section className="card rule" aria-labelledby={headingId}>
      <header className="rule-header">
        <h3 id={headingId} className="rule-title">
          Rule {index + 1}
        </h3>
        <Field label={`Rule ${index + 1} name (optional)`} hideLabel className="rule-name">
          {(p) => (
            <input
              {...p}
              className="input"
              placeholder="Name this rule (optional)"
              value={rule.description ?? ''}
              onChange={(e) => onChange({ ...rule, description: e.target.value || undefined })}
            />
          )}
        </Field>
        <div className="rule-tools">
          <Button size="small" variant="ghost" onClick={() => onMove(-1)} disabled={index === 0} aria-label={`Move rule ${index + 1} up`}>
            ↑
          </Button>
          <Button
            size="small"
            variant="ghost"
            onClick={() => onMove(1)}
            disabled={index === count - 1}
            aria-label={`Move rule ${index + 1} down`}
          >
            ↓
          </Button>
          <Button size="small" variant="ghost" onClick={onRemove} aria-label={`Delete rule ${index + 1}`}>
            Delete
          </Button>
        </div>
      </header>

      <div className="rule-section">
        <h4 className="rule-section-title">Who</h4>
        {chosen.length > 0 ? (
          <ul className="chips" aria-label={`Segments of ${name}`}>
            {chosen.map((s, j) => (
              <li key={s} className={`chip ${issues.at(`${path}/segments/${j}`) ? 'chip-invalid' : ''}`}>
                <span>In segment </span>
                <strong>{segments.find((x) => x.key === s)?.name ?? s}</strong>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove segment ${s} from ${name}`}
                  onClick={() => onChange({ ...rule, segments: chosen.filter((x) => x !== s) })}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        {issues.at(`${path}/segments`) ? <p className="field-error">{issues.at(`${path}/segments`)}</p> : null}
        {segments.length > 0 ? (
          <Field label={`Add a segment to ${name}`} hideLabel className="inline-field">
            {(p) => (
              <select
                {...p}
                className="input input-compact"
                value=""
                disabled={available.length === 0}
                onChange={(e) => e.target.value && onChange({ ...rule, segments: [...chosen, e.target.value] })}
              >
                <option value="">{available.length === 0 ? 'All segments added' : '+ Add a segment…'}</option>
                {available.map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.name} ({s.key})
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <ConditionsEditor
          conditions={rule.conditions ?? []}
          onChange={(conditions) => onChange({ ...rule, conditions })}
          path={`${path}/conditions`}
          issues={issues}
          hints={hints}
          context={name}
        />
        {(rule.conditions ?? []).length === 0 && chosen.length === 0 ? (
          <p className="muted small">No conditions: this rule matches everyone.</p>
        ) : null}
      </div>

      <div className="rule-section">
        <h4 className="rule-section-title">How many</h4>
        <div className="rollout-grid">
          <Field
            label="Rollout percentage"
            hint={
              underRamp
                ? 'A ramp is moving this percentage: its next step sets it again, whatever is saved here. Pause the ramp first.'
                : 'Share of the users this rule matches who get the flag, in 0.01% steps'
            }
            error={issues.at(`${path}/rollout/percentage`)}
          >
            {(p) => (
              <div className="input-suffix">
                <NumberInput
                  {...p}
                  value={pct}
                  min={0}
                  max={100}
                  step={0.01}
                  onValueChange={(percentage) => onChange({ ...rule, rollout: { ...rollout, percentage } })}
                />
                <span aria-hidden="true">%</span>
              </div>
            )}
          </Field>
          <StickinessSelect
            label="Stickiness"
            hint="Which id keeps a user in or out as the percentage changes"
            value={rollout.stickiness}
            error={issues.at(`${path}/rollout/stickiness`)}
            onChange={(stickiness) => onChange({ ...rule, rollout: { ...rollout, stickiness } })}
          />
        </div>
        <div className="rollout-bar" aria-hidden="true">
          <span style={{ width: `${Number.isFinite(pct) ? Math.max(0, Math.min(100, pct)) : 0}%` }} />
        </div>
        <details className="advanced">
          <summary>Advanced</summary>
          <Field
            label="Group id"
            hint={`Users are bucketed by “group id:user id”; flags sharing a group id put the same users in. Default: ${flagKey}`}
            error={issues.at(`${path}/rollout/groupId`)}
          >
            {(p) => (
              <input
                {...p}
                className="input mono"
                placeholder={flagKey}
                value={rollout.groupId ?? ''}
                onChange={(e) => onChange({ ...rule, rollout: { ...rollout, groupId: e.target.value || undefined } })}
              />
            )}
          </Field>
        </details>
      </div>

      {multivariate ? (
        <div className="rule-section">
          <h4 className="rule-section-title">Which variant</h4>
          <label className="check">
            <input
              type="checkbox"
              checked={rule.variants !== undefined}
              onChange={(e) => {
                if (e.target.checked) onChange({ ...rule, variants: defaultVariants() });
                else {
                  const { variants: _v, variantStickiness: _s, ...rest } = rule;
                  onChange(rest);
                }
              }}
            />
            Serve its own variant split to the users of {name}
          </label>
          {rule.variants ? (
            <VariantsEditor
              variants={rule.variants}
              onChange={(variants) => onChange({ ...rule, variants })}
              path={`${path}/variants`}
              issues={issues}
              context={name}
            />
          ) : (
            <p className="muted small">They get the flag's variants below.</p>
          )}
        </div>
      ) : null}
      {ruleError ? <p className="field-error">{ruleError}</p> : null}
      <p className="rule-summary muted small">
        {/* Shown as typed when finer than the 0.01% steps, never rounded to a misleading 0%. */}
        {Number.isFinite(pct) ? `${Math.round(pct * 100) / 100 === pct ? formatNumber(pct) : String(pct)}%` : '?%'} of the users who match
        get the flag.
      </p>
    </section>
  );
}

export interface RulesEditorProps {
  rules: Rule[];
  onChange: (rules: Rule[]) => void;
  flagKey: string;
  multivariate: boolean;
  segments: Segment[];
  hints: AttributeHints;
  issues: Issues;
}

export function RulesEditor({ rules, onChange, flagKey, multivariate, segments, hints, issues }: RulesEditorProps) {
  const move = (i: number, delta: -1 | 1) => {
    const j = i + delta;
    if (j < 0 || j >= rules.length) return;
    const next = [...rules];
    const [r] = next.splice(i, 1);
    if (r) next.splice(j, 0, r);
    onChange(next);
  };
  return (
    <div className="rules">
      {rules.length === 0 ? (
        <p className="muted">No rules: when the flag is on, everyone gets it. Add a rule to target some users or roll out gradually.</p>
      ) : null}
      <ol className="rule-list">
        {rules.map((r, i) => (
          <li key={r.id ?? `new-${i}`}>
            <RuleCard
              rule={r}
              index={i}
              count={rules.length}
              flagKey={flagKey}
              multivariate={multivariate}
              segments={segments}
              hints={hints}
              issues={issues}
              onChange={(next) => onChange(rules.map((x, j) => (j === i ? next : x)))}
              onMove={(d) => move(i, d)}
              onRemove={() => onChange(rules.filter((_, j) => j !== i))}
            />
            {i < rules.length - 1 ? (
              <p className="rule-else" aria-hidden="true">
                otherwise
              </p>
            ) : null}
          </li>
        ))}
      </ol>
      {issues.exact('/rules') ? <p className="field-error">{issues.exact('/rules')}</p> : null}
      <Button onClick={() => onChange([...rules, newRule()])}>
        <span aria-hidden="true">+</span> Add rule
      </Button>
    </div>
  );
}

export interface DependenciesEditorProps {
  dependencies: Dependency[];
  onChange: (d: Dependency[]) => void;
  flagKey: string;
  issues: Issues;
}

export function DependenciesEditor({ dependencies, onChange, flagKey, issues }: DependenciesEditorProps) {
  const update = (i: number, d: Dependency) => onChange(dependencies.map((x, j) => (j === i ? d : x)));
  return (
    <div className="dependencies">
      {dependencies.length === 0 ? <p className="muted">This flag does not depend on other flags.</p> : null}
      {dependencies.map((d, i) => {
        const p = `/dependencies/${i}`;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          <fieldset key={i} className="dependency">
            <legend className="visually-hidden">{`Dependency ${i + 1}`}</legend>
            <span className="muted">Only when</span>
            <Field label={`Dependency ${i + 1}: parent flag`} hideLabel error={issues.at(`${p}/flag`) ?? issues.exact(p)}>
              {(fp) => <FlagPicker field={fp} value={d.flag} exclude={flagKey} onChange={(flag) => update(i, { ...d, flag })} />}
            </Field>
            <Field label={`Dependency ${i + 1}: required state`} hideLabel>
              {(fp) => (
                <select
                  {...fp}
                  className="input"
                  value={d.enabled === false ? 'off' : 'on'}
                  onChange={(e) => {
                    const { enabled: _e, variants: _v, ...rest } = d;
                    update(
                      i,
                      e.target.value === 'off' ? { ...rest, enabled: false } : { ...rest, ...(d.variants ? { variants: d.variants } : {}) },
                    );
                  }}
                >
                  <option value="on">is on</option>
                  <option value="off">is off</option>
                </select>
              )}
            </Field>
            {d.enabled !== false ? (
              <Field label={`Dependency ${i + 1}: with variants (optional)`} hideLabel error={issues.at(`${p}/variants`)}>
                {(fp) => (
                  <input
                    {...fp}
                    className="input mono"
                    placeholder="with variants (optional, comma-separated)"
                    value={(d.variants ?? []).join(', ')}
                    onChange={(e) => {
                      const variants = e.target.value
                        .split(',')
                        .map((s) => s.trim())
                        .filter(Boolean);
                      const { variants: _v, ...rest } = d;
                      update(i, variants.length > 0 ? { ...rest, variants } : rest);
                    }}
                  />
                )}
              </Field>
            ) : null}
            <Button
              size="small"
              variant="ghost"
              onClick={() => onChange(dependencies.filter((_, j) => j !== i))}
              aria-label={`Remove dependency ${i + 1}`}
            >
              Remove
            </Button>
          </fieldset>
        );
      })}
      {issues.exact('/dependencies') ? <p className="field-error">{issues.exact('/dependencies')}</p> : null}
      <Button size="small" onClick={() => onChange([...dependencies, { flag: '' }])}>
        <span aria-hidden="true">+</span> Add dependency
      </Button>
    </div>
  );
}
