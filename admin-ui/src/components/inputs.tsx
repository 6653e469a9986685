import { type InputHTMLAttributes, type TextareaHTMLAttributes, useEffect, useState } from 'react';
import { formatNumber } from '../format.ts';

type NumberInputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'type'> & {
  value: number;
  /** NaN while the text is not a number, so the form's checks can block saving. */
  onValueChange: (n: number) => void;
  /** Displayed number = value * scale (weights out of 1000 shown as percentages: 0.1). */
  scale?: number;
};

/**
 * A number field that keeps what is being typed ("12.", "") while reporting the parsed number up;
 * the browser's number input would silently drop invalid text.
 */
export function NumberInput({ value, onValueChange, scale = 1, className, onBlur, ...rest }: NumberInputProps) {
  const shown = Number.isFinite(value) ? formatNumber(value * scale) : '';
  const [text, setText] = useState(shown);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setText(shown);
  }, [shown, focused]);
  return (
    <input
      {...rest}
      type="number"
      className={`input ${className ?? ''}`}
      value={focused ? text : shown}
      onFocus={(e) => {
        setFocused(true);
        setText(shown);
        rest.onFocus?.(e);
      }}
      onBlur={(e) => {
        setFocused(false);
        onBlur?.(e);
      }}
      onChange={(e) => {
        const raw = e.target.value;
        setText(raw);
        const n = raw.trim() === '' ? Number.NaN : Number(raw);
        onValueChange(Number.isNaN(n) ? Number.NaN : n / scale);
      }}
    />
  );
}

type LinesProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'> & {
  values: string[];
  onValuesChange: (values: string[]) => void;
};

function parseLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** A list of values, one per line (values may hold commas, so lines separate them). */
export function LinesInput({ values, onValuesChange, className, ...rest }: LinesProps) {
  const [text, setText] = useState(values.join('\n'));
  useEffect(() => {
    setText((t) => (parseLines(t).join('\n') === values.join('\n') ? t : values.join('\n')));
  }, [values]);
  return (
    <textarea
      {...rest}
      className={`input ${className ?? ''}`}
      rows={Math.min(6, Math.max(2, values.length + 1))}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onValuesChange(parseLines(e.target.value));
      }}
    />
  );
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Tags typed as a comma-separated list. */
export function TagsInput({
  tags,
  onTagsChange,
  ...rest
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & { tags: string[]; onTagsChange: (tags: string[]) => void }) {
  const [text, setText] = useState(tags.join(', '));
  useEffect(() => {
    setText((t) => (parseTags(t).join(',') === tags.join(',') ? t : tags.join(', ')));
  }, [tags]);
  return (
    <input
      {...rest}
      className="input"
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onTagsChange([...new Set(parseTags(e.target.value))]);
      }}
    />
  );
}

/** ISO date (stored) ⇄ the local time a datetime-local input shows. */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function localInputToIso(local: string): string {
  if (!local) return '';
  const t = Date.parse(local);
  return Number.isNaN(t) ? local : new Date(t).toISOString();
}
