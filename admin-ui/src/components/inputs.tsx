import { type InputHTMLAttributes, type TextareaHTMLAttributes, useEffect, useId, useState } from 'react';
import { formatCount, formatNumber } from '../format.ts';

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

export interface BulkParse {
  values: string[];
  /** Empty lines and empty CSV cells left out. */
  blanks: number;
  /** Repeats of a value already listed, left out. */
  duplicates: number;
}

/**
 * A pasted or uploaded list: one value per line, or CSV (every cell a value, quotes removed);
 * blanks and repeats dropped, first occurrence kept in place. A trailing newline is not a blank.
 */
export function parseBulk(text: string): BulkParse {
  const seen = new Set<string>();
  const values: string[] = [];
  let blanks = 0;
  let duplicates = 0;
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1]?.trim() === '') lines.pop();
  for (const line of lines) {
    const cells = line.includes(',') ? line.split(',') : [line];
    for (const cell of cells) {
      const v = cell
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim();
      if (v === '') {
        if (text !== '') blanks++;
        continue;
      }
      if (seen.has(v)) duplicates++;
      else {
        seen.add(v);
        values.push(v);
      }
    }
  }
  return { values, blanks, duplicates };
}

type BulkProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'> & {
  values: string[];
  onValuesChange: (values: string[]) => void;
  /** The most values allowed, shown beside the count before saving. */
  limit: number;
  /** "condition 1 of the segment", for the upload button's name. */
  what: string;
};

/** A long list of values (a segment's ids): paste or upload, with the count, the limit and what was dropped. */
export function BulkValuesInput({ values, onValuesChange, limit, what, className, ...rest }: BulkProps) {
  const [text, setText] = useState(values.join('\n'));
  const [dropped, setDropped] = useState<{ blanks: number; duplicates: number }>({ blanks: 0, duplicates: 0 });
  const noteId = useId();
  const fileId = useId();
  useEffect(() => {
    setText((t) => (parseBulk(t).values.join('\n') === values.join('\n') ? t : values.join('\n')));
  }, [values]);
  const take = (raw: string) => {
    const parsed = parseBulk(raw);
    setText(raw);
    setDropped({ blanks: parsed.blanks, duplicates: parsed.duplicates });
    onValuesChange(parsed.values);
  };
  const over = values.length > limit;
  const notes: string[] = [];
  if (dropped.duplicates > 0) notes.push(`${formatCount(dropped.duplicates)} ${dropped.duplicates === 1 ? 'duplicate' : 'duplicates'}`);
  if (dropped.blanks > 0) notes.push(`${formatCount(dropped.blanks)} blank ${dropped.blanks === 1 ? 'entry' : 'entries'}`);
  const describedBy = [rest['aria-describedby'], noteId].filter(Boolean).join(' ');
  return (
    <div className="bulk-values">
      <textarea
        {...rest}
        aria-describedby={describedBy}
        aria-invalid={over || rest['aria-invalid'] ? true : undefined}
        className={`input ${className ?? ''}`}
        rows={Math.min(8, Math.max(2, values.length + 1))}
        value={text}
        spellCheck={false}
        onChange={(e) => take(e.target.value)}
      />
      <div className="bulk-values-bar">
        <p id={noteId} className={`small ${over ? 'field-error' : 'muted'}`} role="status">
          {formatCount(values.length)} of at most {formatCount(limit)} values
          {over ? `: remove ${formatCount(values.length - limit)} to save` : ''}
          {notes.length > 0 ? `. Dropped ${notes.join(' and ')}.` : ''}
        </p>
        <input
          id={fileId}
          type="file"
          className="visually-hidden"
          accept=".txt,.csv,text/plain,text/csv"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (file) take(await file.text());
            e.target.value = '';
          }}
        />
        <label htmlFor={fileId} className="btn btn-secondary btn-small">
          Upload a file<span className="visually-hidden"> with the list for {what}</span>
        </label>
      </div>
    </div>
  );
}
