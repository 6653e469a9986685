import { type CompiledSnapshot, type Context, compileSnapshot, evaluate, type Snapshot } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import type { EnvironmentState } from '../delivery/environment-state.ts';

export interface FrontendToggle {
  name: string;
  enabled: true;
  variant: { name: string; enabled: boolean; payload?: { type: string; value: string } };
  impressionData: false;
}

interface Compiled {
  revision: number;
  snapshot: CompiledSnapshot;
  /** Client-visible flags: the only ones a client key may learn anything about. */
  visible: string[];
}

const STANDARD = new Set(['userId', 'sessionId', 'remoteAddress', 'currentTime', 'appName', 'environment']);

/**
 * The context unleash-proxy-client sends as a query string: standard fields by name, custom ones
 * as `properties[name]`. Anything else is taken as a custom property, as Unleash's frontend API does.
 */
export function contextFromQuery(query: Record<string, unknown>): Context {
  const ctx: Context = {};
  const properties: Record<string, string> = {};
  for (const [name, raw] of Object.entries(query)) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value !== 'string') continue;
    const prop = /^properties\[(.+)\]$/.exec(name);
    if (prop?.[1]) properties[prop[1]] = value;
    else if (STANDARD.has(name)) ctx[name] = value;
    else properties[name] = value;
  }
  ctx.properties = properties;
  return ctx;
}

/** The body of a POST: `{ context }` with the same fields, properties as an object. */
export function contextFromBody(body: { context?: Record<string, unknown> }): Context {
  const { properties, ...rest } = body.context ?? {};
  const ctx = contextFromQuery(rest);
  if (properties && typeof properties === 'object') {
    for (const [k, v] of Object.entries(properties)) if (typeof v === 'string') (ctx.properties as Record<string, string>)[k] = v;
  }
  return ctx;
}

/**
 * Server-side evaluation for `unleash-proxy-client` (Unleash's frontend API): the environment
 * compiled once per revision from the replica's memory, evaluated for the page's context; only
 * client-visible flags that are on come back, as Unleash answers.
 */
export class FrontendEvaluator {
  private readonly compiled = new Map<string, Compiled>();

  private of(state: EnvironmentState): Compiled {
    const held = this.compiled.get(state.environment);
    if (held?.revision === state.revision) return held;
    const revision = state.revision;
    const snapshot = compileSnapshot(JSON.parse(state.serverSnapshot()) as Snapshot, allOperators);
    const visible = (JSON.parse(state.clientSnapshot()) as { flags: Array<{ key: string }> }).flags.map((f) => f.key);
    const made = { revision, snapshot, visible };
    this.compiled.set(state.environment, made);
    return made;
  }

  toggles(state: EnvironmentState, context: Context): FrontendToggle[] {
    const { snapshot, visible } = this.of(state);
    const out: FrontendToggle[] = [];
    for (const key of visible) {
      const r = evaluate(snapshot, key, context);
      if (!r.enabled) continue;
      const variant: FrontendToggle['variant'] = { name: r.variant.name, enabled: r.variant.enabled };
      if (r.variant.payload) variant.payload = { type: r.variant.payload.type, value: r.variant.payload.value };
      out.push({ name: key, enabled: true, variant, impressionData: false });
    }
    return out;
  }
}
