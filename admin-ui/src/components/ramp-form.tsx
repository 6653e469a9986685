import { useState } from 'react';
import { api, seg } from '../api.ts';
import type { Rule } from '../types.ts';
import { Button, Field } from './ui.tsx';

/**
 * The ramp form: a rule, its steps (a percentage and a hold time each, from a preset or edited one
 * by one) and an optional guard: a tracked event the server compares with and without the rule's
 * result (a metric guard), or a threshold on a metric outside tooling pushes.
 */

type Unit = 'minutes' | 'hours';
interface StepDraft {
  percentage: string;
  hold: string;
  unit: Unit;
}

const step = (percentage: number, hold: number, unit: Unit = 'minutes'): StepDraft => ({
  percentage: String(percentage),
  hold: String(hold),
  unit,
});

export const RAMP_PRESETS = [
  { label: 'Standard: 10% → 25% → 50% → 100%', steps: [step(10, 60), step(25, 60), step(50, 60), step(100, 0)] },
  { label: 'Gentle: 1% → 5% → 10% → 25% → 50% → 100%', steps: [1, 5, 10, 25, 50].map((p) => step(p, 2, 'hours')).concat(step(100, 0)) },
  { label: 'Quick: 50% → 100%', steps: [step(50, 30), step(100, 0)] },
] as const;

type GuardKind = 'none' | 'metric' | 'threshold';

/** The body of POST /ramps (and, without flag and environment, of a `ramp-start` change request). */
export interface RampBody {
  flag: string;
  environment: string;
  ruleId: string;
  steps: Array<{ percentage: number; holdSeconds: number }>;
  guard?: Record<string, unknown>;
}

export function RampForm({
  flagKey,
  env,
  rules,
  busy,
  run,
  submit: handOver,
}: {
  flagKey: string;
  env: string;
  rules: Array<{ rule: Rule & { id: string }; i: number }>;
  busy: boolean;
  /** Runs the submission, showing its message or error the way the plan panel does. */
  run: (act: () => Promise<string>) => void;
  /**
   * Issue 17: when given, the checked ramp goes here instead of being posted, so the caller can
   * confirm it (protected environment) or propose it as a change request (approvals needed).
   */
  submit?: (ramp: RampBody, startNow: boolean) => void;
}) {
  const [ruleId, setRuleId] = useState('');
  const [preset, setPreset] = useState<string>(RAMP_PRESETS[0].label);
  const [steps, setSteps] = useState<StepDraft[]>(RAMP_PRESETS[0].steps.map((s) => ({ ...s })));
  const [kind, setKind] = useState<GuardKind>('none');
  const [metric, setMetric] = useState({ metric: 'errors', direction: 'lower_is_better', minEffect: '10', action: 'rollback' });
  const [threshold, setThreshold] = useState({ metric: 'error_rate', comparator: 'gt', threshold: '0.05', action: 'pause' });
  const [startNow, setStartNow] = useState(true);
  const chosen = rules.find((r) => r.rule.id === ruleId) ?? rules[0];
  const conditioned = chosen ? (chosen.rule.conditions?.length ?? 0) > 0 || (chosen.rule.segments?.length ?? 0) > 0 : false;

  const edit = (i: number, patch: Partial<StepDraft>) => {
    setSteps(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
    setPreset('');
  };
  const choosePreset = (label: string) => {
    setPreset(label);
    const p = RAMP_PRESETS.find((x) => x.label === label);
    if (p) setSteps(p.steps.map((s) => ({ ...s })));
  };

  const build = (): RampBody => {
    if (!chosen) throw new Error('Pick a rule to ramp');
    const parsed = steps.map((s, i) => {
      const percentage = Number(s.percentage);
      const hold = Number(s.hold);
      if (!(percentage > 0 && percentage <= 100)) throw new Error(`Step ${i + 1}: the percentage is above 0 and at most 100`);
      if (!(hold >= 0)) throw new Error(`Step ${i + 1}: the hold time is a number of ${s.unit}`);
      return { percentage, holdSeconds: Math.round(hold * (s.unit === 'hours' ? 3600 : 60)) };
    });
    if (parsed.length === 0) throw new Error('Add at least one step');
    const body: RampBody = { flag: flagKey, environment: env, ruleId: chosen.rule.id, steps: parsed };
    if (kind === 'metric') {
      const minEffect = Number(metric.minEffect) / 100;
      if (!(minEffect > 0)) throw new Error('The smallest change that matters is a percentage above 0');
      body.guard = { kind: 'metric', metric: metric.metric.trim(), direction: metric.direction, minEffect, action: metric.action };
    } else if (kind === 'threshold') {
      body.guard = {
        metric: threshold.metric,
        comparator: threshold.comparator,
        threshold: Number(threshold.threshold),
        action: threshold.action,
      };
    }
    return body;
  };
  const submit = () =>
    run(async () => {
      const body = build();
      if (handOver) {
        handOver(body, startNow);
        return '';
      }
      const created = await api.post<{ id: string }>('/ramps', body);
      if (startNow) await api.post(`/ramps/${seg(created.id)}/start`);
      return startNow ? 'Ramp started' : 'Ramp planned; start it when you are ready';
    });

  return (
    <div className="plan-form ramp-form">
      <Field label="Rule to ramp">
        {(p) => (
          <select {...p} className="input" value={chosen?.rule.id ?? ''} onChange={(e) => setRuleId(e.target.value)}>
            {rules.map(({ rule, i }) => (
              <option key={rule.id} value={rule.id}>
                Rule {i + 1}
                {rule.description ? ` (${rule.description})` : ''}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Preset">
        {(p) => (
          <select {...p} className="input" value={preset} onChange={(e) => choosePreset(e.target.value)}>
            {RAMP_PRESETS.map((x) => (
              <option key={x.label} value={x.label}>
                {x.label}
              </option>
            ))}
            <option value="">Your own steps</option>
          </select>
        )}
      </Field>
      <fieldset className="ramp-steps">
        <legend>Steps</legend>
        <ol className="plain-list">
          {steps.map((s, i) => (
            // Steps have no identity but their place: the list is edited in place.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <li key={i} className="row gap-small">
              <Field label={`Step ${i + 1} percentage (%)`}>
                {(p) => (
                  <input
                    {...p}
                    className="input narrow"
                    inputMode="decimal"
                    value={s.percentage}
                    onChange={(e) => edit(i, { percentage: e.target.value })}
                  />
                )}
              </Field>
              <Field label={`Step ${i + 1} hold`}>
                {(p) => (
                  <input
                    {...p}
                    className="input narrow"
                    inputMode="decimal"
                    value={s.hold}
                    onChange={(e) => edit(i, { hold: e.target.value })}
                  />
                )}
              </Field>
              <Field label={`Step ${i + 1} hold unit`} hideLabel>
                {(p) => (
                  <select {...p} className="input" value={s.unit} onChange={(e) => edit(i, { unit: e.target.value as Unit })}>
                    <option value="minutes">minutes</option>
                    <option value="hours">hours</option>
                  </select>
                )}
              </Field>
              <Button
                size="small"
                variant="ghost"
                title={`Remove step ${i + 1}`}
                disabled={steps.length === 1}
                onClick={() => {
                  setSteps(steps.filter((_, j) => j !== i));
                  setPreset('');
                }}
              >
                Remove
              </Button>
            </li>
          ))}
        </ol>
        <Button
          size="small"
          onClick={() => {
            setSteps([...steps, step(100, 0)]);
            setPreset('');
          }}
        >
          Add step
        </Button>
      </fieldset>
      <Field
        label="Guard"
        hint={
          kind === 'metric'
            ? conditioned
              ? 'This rule has conditions: a tracked-event guard needs a rule without them (its not-rolled-out users are the comparison).'
              : 'While each step holds, the server compares how often SDKs track() this event for users with the rule’s result and without it (a sequential test at 95%).'
            : undefined
        }
      >
        {(p) => (
          <select {...p} className="input" value={kind} onChange={(e) => setKind(e.target.value as GuardKind)}>
            <option value="none">No guard</option>
            <option value="metric">A tracked event, with and without the rule</option>
            <option value="threshold">A metric pushed by other tooling, over a threshold</option>
          </select>
        )}
      </Field>
      {kind === 'metric' ? (
        <div className="plan-form">
          <Field label="Event">
            {(p) => (
              <input
                {...p}
                className="input mono"
                value={metric.metric}
                onChange={(e) => setMetric({ ...metric, metric: e.target.value })}
              />
            )}
          </Field>
          <Field label="Direction">
            {(p) => (
              <select
                {...p}
                className="input"
                value={metric.direction}
                onChange={(e) => setMetric({ ...metric, direction: e.target.value })}
              >
                <option value="lower_is_better">Lower is better (errors, latency)</option>
                <option value="higher_is_better">Higher is better (conversions)</option>
              </select>
            )}
          </Field>
          <Field label="Smallest change that matters (%)">
            {(p) => (
              <input
                {...p}
                className="input narrow"
                inputMode="decimal"
                value={metric.minEffect}
                onChange={(e) => setMetric({ ...metric, minEffect: e.target.value })}
              />
            )}
          </Field>
          <Field label="On harm">
            {(p) => (
              <select {...p} className="input" value={metric.action} onChange={(e) => setMetric({ ...metric, action: e.target.value })}>
                <option value="rollback">roll back to before the ramp</option>
                <option value="pause">pause the ramp</option>
              </select>
            )}
          </Field>
        </div>
      ) : null}
      {kind === 'threshold' ? (
        <div className="plan-form">
          <Field label="Metric">
            {(p) => (
              <input
                {...p}
                className="input mono"
                value={threshold.metric}
                onChange={(e) => setThreshold({ ...threshold, metric: e.target.value })}
              />
            )}
          </Field>
          <Field label="When the metric is">
            {(p) => (
              <select
                {...p}
                className="input"
                value={threshold.comparator}
                onChange={(e) => setThreshold({ ...threshold, comparator: e.target.value })}
              >
                <option value="gt">above</option>
                <option value="lt">below</option>
              </select>
            )}
          </Field>
          <Field label="Threshold">
            {(p) => (
              <input
                {...p}
                className="input"
                inputMode="decimal"
                value={threshold.threshold}
                onChange={(e) => setThreshold({ ...threshold, threshold: e.target.value })}
              />
            )}
          </Field>
          <Field label="Then">
            {(p) => (
              <select
                {...p}
                className="input"
                value={threshold.action}
                onChange={(e) => setThreshold({ ...threshold, action: e.target.value })}
              >
                <option value="pause">pause the ramp</option>
                <option value="rollback">roll back to before the ramp</option>
              </select>
            )}
          </Field>
        </div>
      ) : null}
      <label className="check">
        <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} /> Start now
      </label>
      <Button variant="primary" busy={busy} onClick={submit}>
        Create ramp
      </Button>
    </div>
  );
}
