import type { EvaluationContext } from '@switchboard/core';

/**
 * The options' context defaults (`appName`, `environment`, `staticContext`) as one context to merge
 * under every evaluation's, or null when there are none (then contexts are used as given, at no cost).
 */
export function staticContextOf(options: {
  appName?: unknown;
  environment?: unknown;
  staticContext?: unknown;
}): Readonly<EvaluationContext> | null {
  const base = options.staticContext;
  const out: EvaluationContext = base !== null && typeof base === 'object' ? { ...(base as EvaluationContext) } : {};
  if (out.properties !== undefined) out.properties = { ...out.properties };
  if (typeof options.appName === 'string') out.appName = options.appName;
  if (typeof options.environment === 'string') out.environment = options.environment;
  for (const key of Object.keys(out) as Array<keyof EvaluationContext>) if (out[key] === undefined) delete out[key];
  if (Object.keys(out).length === 0) return null;
  if (out.properties !== undefined) Object.freeze(out.properties);
  return Object.freeze(out);
}

/**
 * `context` over the defaults: its own fields win (an `undefined` one does not count), and
 * `properties` are merged key by key. A new object; neither input is changed.
 */
export function withStaticContext(defaults: Readonly<EvaluationContext>, context: EvaluationContext | null | undefined): EvaluationContext {
  if (context === null || context === undefined || typeof context !== 'object') return defaults;
  const out: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    // An own `__proto__` (from JSON.parse) would set the copy's prototype, not a field.
    if (value !== undefined && key !== '__proto__') out[key] = value;
  }
  const own = context.properties;
  if (defaults.properties !== undefined && own !== null && typeof own === 'object') {
    const properties: Record<string, unknown> = { ...defaults.properties };
    for (const key of Object.keys(own)) if (own[key] !== undefined && key !== '__proto__') properties[key] = own[key];
    out.properties = properties;
  }
  return out as EvaluationContext;
}
