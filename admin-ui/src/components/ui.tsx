import {
  type ButtonHTMLAttributes,
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { messageOf } from '../api.ts';
import type { Permission } from '../session.tsx';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  size?: 'small' | 'normal';
  /** When not allowed, the button is disabled and describes why (title and aria-describedby). */
  perm?: Permission;
  busy?: boolean;
}

export function Button({
  variant = 'secondary',
  size = 'normal',
  perm,
  busy,
  className,
  disabled,
  children,
  title,
  'aria-describedby': describedBy,
  ...rest
}: ButtonProps) {
  const reasonId = useId();
  const denied = perm && !perm.allowed;
  const cls = ['btn', `btn-${variant}`, size === 'small' ? 'btn-small' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <>
      <button
        type="button"
        className={cls}
        disabled={disabled || denied || busy}
        aria-busy={busy || undefined}
        {...rest}
        title={denied ? perm.reason : title}
        aria-describedby={denied ? [reasonId, describedBy].filter(Boolean).join(' ') : describedBy}
      >
        {busy ? <span className="spinner" aria-hidden="true" /> : null}
        {children}
      </button>
      {denied ? (
        <span id={reasonId} className="visually-hidden">
          {perm.reason}
        </span>
      ) : null}
    </>
  );
}

export interface FieldControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

export interface FieldProps {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  /** Visually hide the label (it still names the control). */
  hideLabel?: boolean;
  children: (props: FieldControlProps) => ReactNode;
}

/** A labelled control with an optional hint and an error that the control is described by. */
export function Field({ label, hint, error, className, hideLabel, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'field-invalid' : ''} ${className ?? ''}`}>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : 'field-label'}>
        {label}
      </label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export interface SwitchProps {
  checked: boolean;
  onChange: (next: boolean) => void;
  label: string;
  disabled?: boolean;
  busy?: boolean;
  perm?: Permission;
  /** Shown beside the track, e.g. "On" / "Off". */
  text?: ReactNode;
}

export function Switch({ checked, onChange, label, disabled, busy, perm, text }: SwitchProps) {
  const reasonId = useId();
  const denied = perm && !perm.allowed;
  return (
    <span className="switch-wrap">
      <button
        type="button"
        role="switch"
        aria-checked={checked}
        aria-label={label}
        aria-busy={busy || undefined}
        className={`switch ${checked ? 'switch-on' : ''}`}
        disabled={disabled || denied || busy}
        title={denied ? perm.reason : undefined}
        aria-describedby={denied ? reasonId : undefined}
        onClick={() => onChange(!checked)}
      >
        <span className="switch-thumb" />
      </button>
      {text ? (
        <span className="switch-text" aria-hidden="true">
          {text}
        </span>
      ) : null}
      {denied ? (
        <span id={reasonId} className="visually-hidden">
          {perm.reason}
        </span>
      ) : null}
    </span>
  );
}

export interface DialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
  /** Disables the confirm button (e.g. until something is typed). */
  confirmDisabled?: boolean;
  wide?: boolean;
}

/**
 * A modal confirmation on the native <dialog>: focus moves in and is trapped, Escape cancels,
 * focus returns to where it was on close.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = 'Cancel',
  danger,
  busy,
  error,
  onConfirm,
  onCancel,
  confirmDisabled,
  wide,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog ${wide ? 'dialog-wide' : ''}`}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      {open ? (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy && !confirmDisabled) onConfirm();
          }}
        >
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          <div id={bodyId} className="dialog-body">
            {children}
          </div>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="dialog-actions">
            <Button onClick={onCancel} disabled={busy}>
              {cancelLabel}
            </Button>
            <Button type="submit" variant={danger ? 'danger' : 'primary'} busy={busy} disabled={confirmDisabled}>
              {confirmLabel}
            </Button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}

export function Badge({ children, tone = 'neutral', title }: { children: ReactNode; tone?: string; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function StatusPill({ on, label }: { on: boolean; label?: string }) {
  return (
    <span className={`pill ${on ? 'pill-on' : 'pill-off'}`}>
      <span className="pill-dot" aria-hidden="true" />
      {label ?? (on ? 'On' : 'Off')}
    </span>
  );
}

export function Banner({
  tone = 'info',
  title,
  children,
  role,
}: {
  tone?: 'info' | 'warning' | 'danger' | 'success';
  title?: ReactNode;
  children?: ReactNode;
  role?: 'alert' | 'status';
}) {
  return (
    <div className={`banner banner-${tone}`} role={role}>
      {title ? <p className="banner-title">{title}</p> : null}
      {children}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Banner tone="danger" title="Something went wrong" role="alert">
      <p>{messageOf(error)}</p>
      {onRetry ? (
        <Button size="small" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </Banner>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <div className="page-subtitle">{subtitle}</div> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no secure context): the old way.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = 'Copy', size = 'small' }: { text: string; label?: string; size?: 'small' | 'normal' }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <>
      <Button size={size} onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}>
        {state === 'copied' ? 'Copied' : label}
      </Button>
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'Copying failed; select the text and copy it' : ''}
      </span>
    </>
  );
}

/** A new secret, shown this once, with a copy button. */
export function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone: () => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  return (
    <section className="secret" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      <p>Copy it now: it is shown only this once. Only a hash is stored, so it cannot be shown again.</p>
      <div className="secret-row">
        <label htmlFor={id} className="visually-hidden">
          Secret
        </label>
        <input ref={inputRef} id={id} className="input mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={secret} label="Copy secret" size="normal" />
      </div>
      <Button variant="ghost" size="small" onClick={onDone}>
        I have copied it
      </Button>
    </section>
  );
}

type ToastTone = 'info' | 'success' | 'danger';
interface Toast {
  id: number;
  message: string;
  tone: ToastTone;
}

const ToastContext = createContext<(message: string, tone?: ToastTone) => void>(() => {});

export function useToast() {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const notify = useCallback((message: string, tone: ToastTone = 'info') => {
    const id = next.current++;
    setToasts((t) => [...t.slice(-3), { id, message, tone }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 6000);
  }, []);
  return (
    <ToastContext.Provider value={notify}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`}>
            <span>{t.message}</span>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss notification"
              onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

/** The page-wide note for read-only users. */
export function ReadOnlyNotice({ reason, id }: { reason: string | undefined; id?: string }) {
  if (!reason) return null;
  return (
    <p className="readonly-note" id={id}>
      <strong>Read-only:</strong> {reason}.
    </p>
  );
}
