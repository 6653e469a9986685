import { useId } from 'react';
import type { Issues } from '../issues.ts';
import { ATTRIBUTE_TYPES, type AttributeType, guessType, OPERATORS, operatorInfo, typeOfOperator } from '../operators.ts';
import type { Condition } from '../types.ts';
import { BulkValuesInput, isoToLocalInput, LinesInput, localInputToIso } from './inputs.tsx';
import { Badge, Button, Field } from './ui.tsx';

export interface AttributeHints {
  /** Names for the attribute picker's suggestions. */
  names: string[];
  /** Attributes only IN / NOT_IN may compare (their values reach browsers as digests). */
  sensitive: Set<string>;
}

export function newCondition(): Condition {
  return { attribute: '', operator: 'IN', values: [] };
}

interface ConditionRowProps {
  condition: Condition;
  index: number;
  path: string;
  issues: Issues;
  hints: AttributeHints;
  listId: string;
  context: string;
  /** Long lists allowed (segments): pasted or uploaded, with the count shown against this limit. */
  bulkLimit?: number | undefined;
  onChange: (c: Condition) => void;
  onRemove: () => void;
}

function ConditionRow({ condition: c, index, path, issues, hints, listId, context, bulkLimit, onChange, onRemove }: ConditionRowProps) {
  const type = typeOfOperator(c.operator);
  const info = operatorInfo(c.operator);
  const sensitive = hints.sensitive.has(c.attribute);
  // Any operator works on a sensitive attribute: browsers get such a flag's answer from the server.
  const operators = OPERATORS[type];
  const setType = (t: AttributeType) => {
    const first = OPERATORS[t][0];
    if (first) onChange({ ...c, operator: first.value, values: [], caseInsensitive: undefined });
  };
  const single = info?.single ?? false;
  const valuesError = issues.at(`${path}/values`);
  const rowError = issues.exact(path);
  return (
    <fieldset className="condition">
      <legend className="visually-hidden">{`Condition ${index + 1} of ${context}`}</legend>
      <div className="condition-grid">
        <Field label="Attribute" error={issues.at(`${path}/attribute`)} className="condition-attribute">
          {(p) => (
            <input
              {...p}
              className="input mono"
              list={listId}
              value={c.attribute}
              placeholder="e.g. country"
              autoComplete="off"
              onChange={(e) => {
                const attribute = e.target.value;
                const guess = c.values.length === 0 ? guessType(attribute) : undefined;
                const firstOp = guess ? OPERATORS[guess][0] : undefined;
                onChange(firstOp && guess !== type ? { ...c, attribute, operator: firstOp.value } : { ...c, attribute });
              }}
            />
          )}
        </Field>
        <Field label="Type" className="condition-type">
          {(p) => (
            <select {...p} className="input" value={type} onChange={(e) => setType(e.target.value as AttributeType)}>
              {ATTRIBUTE_TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Operator" error={issues.at(`${path}/operator`)} className="condition-operator">
          {(p) => (
            <select
              {...p}
              className="input"
              value={c.operator}
              onChange={(e) => {
                const next = operatorInfo(e.target.value);
                onChange({
                  ...c,
                  operator: e.target.value,
                  values: next?.single ? c.values.slice(0, 1) : c.values,
                  caseInsensitive: next?.caseInsensitive ? c.caseInsensitive : undefined,
                });
              }}
            >
              {operators.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
              {!operators.some((o) => o.value === c.operator) ? <option value={c.operator}>{c.operator}</option> : null}
            </select>
          )}
        </Field>
        <Field
          label={single ? 'Value' : 'Values'}
          hint={
            single
              ? type === 'date'
                ? 'Your local time; stored in UTC'
                : undefined
              : bulkLimit
                ? 'One per line or CSV; paste or upload'
                : 'One per line'
          }
          error={valuesError}
          className="condition-values"
        >
          {(p) =>
            single ? (
              type === 'date' ? (
                <input
                  {...p}
                  type="datetime-local"
                  className="input"
                  value={isoToLocalInput(c.values[0])}
                  onChange={(e) => onChange({ ...c, values: e.target.value ? [localInputToIso(e.target.value)] : [] })}
                />
              ) : (
                <input
                  {...p}
                  className="input mono"
                  value={c.values[0] ?? ''}
                  inputMode={type === 'number' ? 'decimal' : undefined}
                  placeholder={type === 'semver' ? '1.2.3' : type === 'number' ? '42' : ''}
                  onChange={(e) => onChange({ ...c, values: e.target.value === '' ? [] : [e.target.value] })}
                />
              )
            ) : bulkLimit ? (
              <BulkValuesInput
                {...p}
                className="mono"
                values={c.values}
                limit={bulkLimit}
                what={`condition ${index + 1} of ${context}`}
                placeholder={type === 'ip' ? '10.0.0.0/8' : 'DE\nFR'}
                onValuesChange={(values) => onChange({ ...c, values })}
              />
            ) : (
              <LinesInput
                {...p}
                className="mono"
                values={c.values}
                placeholder={type === 'ip' ? '10.0.0.0/8' : 'DE\nFR'}
                onValuesChange={(values) => onChange({ ...c, values })}
              />
            )
          }
        </Field>
      </div>
      <div className="condition-options">
        <label className="check">
          <input
            type="checkbox"
            checked={c.inverted === true}
            onChange={(e) => onChange({ ...c, inverted: e.target.checked || undefined })}
          />
          Negate (match when this is <em>not</em> true)
        </label>
        {info?.caseInsensitive ? (
          <label className="check">
            <input
              type="checkbox"
              checked={c.caseInsensitive === true}
              onChange={(e) => onChange({ ...c, caseInsensitive: e.target.checked || undefined })}
            />
            Ignore case
          </label>
        ) : null}
        {sensitive ? (
          <Badge tone="warning" title="Its values never reach browsers: they get this flag's answer from the server">
            sensitive attribute
          </Badge>
        ) : null}
        <Button
          variant="ghost"
          size="small"
          className="push-right"
          onClick={onRemove}
          aria-label={`Remove condition ${index + 1} of ${context}`}
        >
          Remove
        </Button>
      </div>
      {rowError ? <p className="field-error">{rowError}</p> : null}
    </fieldset>
  );
}

export interface ConditionsEditorProps {
  conditions: Condition[];
  onChange: (conditions: Condition[]) => void;
  /** JSON-pointer prefix of these conditions in the saved body, for the server's error paths. */
  path: string;
  issues: Issues;
  hints: AttributeHints;
  /** "rule 1", "the segment": completes labels such as "Add a condition to rule 1". */
  context: string;
  /** Segments: lists of values up to this many, pasted or uploaded. */
  bulkLimit?: number;
}

export function ConditionsEditor({ conditions, onChange, path, issues, hints, context, bulkLimit }: ConditionsEditorProps) {
  const listId = useId();
  const listError = issues.exact(path);
  return (
    <div className="conditions">
      <datalist id={listId}>
        {hints.names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      {conditions.map((c, i) => (
        <ConditionRow
          // biome-ignore lint/suspicious/noArrayIndexKey: conditions have no identity of their own
          key={i}
          condition={c}
          index={i}
          path={`${path}/${i}`}
          issues={issues}
          hints={hints}
          listId={listId}
          context={context}
          bulkLimit={bulkLimit}
          onChange={(next) => onChange(conditions.map((x, j) => (j === i ? next : x)))}
          onRemove={() => onChange(conditions.filter((_, j) => j !== i))}
        />
      ))}
      {listError ? <p className="field-error">{listError}</p> : null}
      <Button size="small" onClick={() => onChange([...conditions, newCondition()])}>
        <span aria-hidden="true">+</span> Add condition
      </Button>
    </div>
  );
}
