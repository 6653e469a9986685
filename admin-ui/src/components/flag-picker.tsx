import { useEffect, useId, useState } from 'react';
import { api } from '../api.ts';
import type { Flag } from '../types.ts';
import type { FieldControlProps } from './ui.tsx';

const SHOWN = 20;

/**
 * A combobox that finds a flag by asking the server (key, name, description or tag), so it reaches
 * any of thousands of flags; it lists the first 20 matches by name. Arrow keys move, Enter picks,
 * Escape closes.
 */
export function FlagPicker({
  value,
  onChange,
  exclude,
  field,
}: {
  value: string;
  onChange: (key: string) => void;
  /** The flag being edited (it cannot depend on itself). */
  exclude: string;
  field: FieldControlProps;
}) {
  const listId = useId();
  const [text, setText] = useState(value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [found, setFound] = useState<{ flags: Flag[]; total: number } | null>(null);

  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (!open) return;
    let stale = false;
    const t = setTimeout(() => {
      api
        .get<{ flags: Flag[]; total: number }>('/flags', { query: { q: text.trim(), sort: 'name', limit: SHOWN + 1 } })
        .then((r) => {
          if (!stale) {
            setFound({ flags: r.flags.filter((f) => f.key !== exclude).slice(0, SHOWN), total: r.total });
            setActive(0);
          }
        })
        .catch(() => {
          if (!stale) setFound({ flags: [], total: 0 });
        });
    }, 150);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [text, open, exclude]);

  const options = found?.flags ?? [];
  const pick = (f: Flag) => {
    onChange(f.key);
    setText(f.key);
    setOpen(false);
  };
  const optionId = (i: number) => `${listId}-${i}`;

  return (
    <div className="combobox">
      <input
        {...field}
        className="input mono"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && options[active] ? optionId(active) : undefined}
        placeholder="Search flags…"
        autoComplete="off"
        value={text}
        onFocus={() => setOpen(true)}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (e.target.value === '') onChange('');
        }}
        onBlur={() => {
          // Leaving with text that names no picked flag puts the picked one back.
          setTimeout(() => {
            setOpen(false);
            setText(value);
          }, 150);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter' && open) {
            const f = options[active];
            if (f) {
              e.preventDefault();
              pick(f);
            }
          } else if (e.key === 'Escape' && open) {
            e.preventDefault();
            setOpen(false);
          }
        }}
      />
      {open ? (
        <div className="combobox-popup">
          <div id={listId} role="listbox" className="combobox-list" aria-label="Matching flags">
            {options.map((f, i) => (
              <div
                key={f.key}
                tabIndex={-1}
                id={optionId(i)}
                role="option"
                aria-selected={i === active}
                className={`combobox-option ${i === active ? 'is-active' : ''}`}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(f);
                }}
              >
                {f.name} <code className="key">{f.key}</code>
              </div>
            ))}
          </div>
          <p className="muted small combobox-note" role="status">
            {found === null
              ? 'Searching…'
              : options.length === 0
                ? `No flag matches “${text}”`
                : found.total > SHOWN + 1
                  ? `The first ${options.length} of ${found.total}: type more of the key or name`
                  : ''}
          </p>
        </div>
      ) : null}
    </div>
  );
}
