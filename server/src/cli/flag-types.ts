import type { ExportedFlag, ExportedVariant, Payload } from './types.ts';

/**
 * `switchboard types`: the `Flags` interface of contract 5 for one environment, from the server's
 * export. A flag without variants there is `boolean`; a flag with variants is
 * `{ variant: 'a' | 'b'; payload: T }`, T from the payloads its variants carry (as the SDKs parse
 * them): `string` (string, csv), `number`, for json a type inferred from the values (below), or
 * `undefined` when no variant has a payload. Payloads are values that editors change, so the
 * inference stays general: strings are `string`, not the literal; a field present in some json
 * payloads only is optional; arrays are arrays of the union of their elements; values nested
 * deeper than MAX_DEPTH, and json that does not parse, are `unknown`.
 */

type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'null' | 'unknown' | 'undefined' }
  | { kind: 'array'; element: Shape | null }
  | { kind: 'object'; props: Map<string, { shape: Shape; optional: boolean }> }
  | { kind: 'union'; members: Shape[] };

const MAX_DEPTH = 8;
const UNKNOWN: Shape = { kind: 'unknown' };

function shapeOfJson(value: unknown, depth: number): Shape {
  if (depth > MAX_DEPTH) return UNKNOWN;
  if (value === null) return { kind: 'null' };
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'number') return { kind: 'number' };
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (Array.isArray(value)) {
    return { kind: 'array', element: value.reduce<Shape | null>((acc, v) => merge(acc, shapeOfJson(v, depth + 1)), null) };
  }
  if (typeof value === 'object') {
    const props = new Map<string, { shape: Shape; optional: boolean }>();
    for (const [k, v] of Object.entries(value)) props.set(k, { shape: shapeOfJson(v, depth + 1), optional: false });
    return { kind: 'object', props };
  }
  return UNKNOWN;
}

function members(s: Shape): Shape[] {
  return s.kind === 'union' ? s.members : [s];
}

/** The narrowest shape both fit: objects merge field by field, arrays by element, the rest unite. */
function merge(a: Shape | null, b: Shape): Shape {
  if (a === null) return b;
  if (a.kind === 'unknown' || b.kind === 'unknown') return UNKNOWN;
  const out: Shape[] = [...members(a)];
  for (const m of members(b)) {
    const i = out.findIndex((o) => o.kind === m.kind);
    const same = out[i];
    if (same === undefined) out.push(m);
    else if (same.kind === 'object' && m.kind === 'object') out[i] = mergeObjects(same.props, m.props);
    else if (same.kind === 'array' && m.kind === 'array') {
      out[i] = { kind: 'array', element: m.element === null ? same.element : merge(same.element, m.element) };
    }
  }
  return out.length === 1 && out[0] ? out[0] : { kind: 'union', members: out };
}

function mergeObjects(a: Map<string, { shape: Shape; optional: boolean }>, b: Map<string, { shape: Shape; optional: boolean }>): Shape {
  const props = new Map<string, { shape: Shape; optional: boolean }>();
  for (const [k, pa] of a) {
    const pb = b.get(k);
    props.set(k, pb ? { shape: merge(pa.shape, pb.shape), optional: pa.optional || pb.optional } : { ...pa, optional: true });
  }
  for (const [k, pb] of b) if (!a.has(k)) props.set(k, { ...pb, optional: true });
  return { kind: 'object', props };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/**
 * What must not reach the generated source raw: controls, line separators and the bidirectional
 * overrides that make code read differently than it compiles ("trojan source"). Flag names and
 * descriptions are anyone-with-editor text, and this file is checked into applications.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_IN_STRING = /[\\'\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_IN_COMMENT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** A TypeScript string literal in single quotes, every character that could end or bend it escaped. */
export function tsString(text: string): string {
  const escaped = text.replace(UNSAFE_IN_STRING, (c) =>
    c === '\\' || c === "'" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `'${escaped}'`;
}

function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : tsString(name);
}

function print(s: Shape, indent: string): string {
  switch (s.kind) {
    case 'union':
      return s.members.map((m) => print(m, indent)).join(' | ');
    case 'array': {
      if (s.element === null) return 'unknown[]';
      const element = print(s.element, indent);
      return s.element.kind === 'union' ? `Array<${element}>` : `${element}[]`;
    }
    case 'object': {
      if (s.props.size === 0) return 'Record<string, never>';
      const inner = `${indent}  `;
      const lines = [...s.props].map(([k, p]) => `${inner}${propertyName(k)}${p.optional ? '?' : ''}: ${print(p.shape, inner)};`);
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    default:
      return s.kind;
  }
}

function shapeOfPayload(payload: Payload): Shape {
  if (payload.type === 'number') return { kind: 'number' };
  if (payload.type !== 'json') return { kind: 'string' };
  try {
    return shapeOfJson(JSON.parse(payload.value), 0);
  } catch {
    return UNKNOWN;
  }
}

function variantsOf(flag: ExportedFlag, environment: string): ExportedVariant[] {
  const config = flag.environments[environment];
  if (!config) return [];
  return [...(config.variants ?? []), ...(config.rules ?? []).flatMap((r) => r.variants ?? [])];
}

function valueType(variants: readonly ExportedVariant[], indent: string): string {
  if (variants.length === 0) return 'boolean';
  const names = [...new Set(variants.map((v) => v.name))];
  const payload = variants.reduce<Shape | null>((acc, v) => (v.payload ? merge(acc, shapeOfPayload(v.payload)) : acc), null);
  const inner = `${indent}  `;
  return `{\n${inner}variant: ${names.map(tsString).join(' | ')};\n${inner}payload: ${payload ? print(payload, inner) : 'undefined'};\n${indent}}`;
}

/** One line of doc comment: no line breaks, and nothing that would close the comment. */
function docText(text: string): string {
  return text.replace(UNSAFE_IN_COMMENT, ' ').replace(/\*\//g, '* /').trim();
}

export interface FlagTypesOptions {
  environment: string;
  /** Only flags browsers may see (client keys). */
  clientVisibleOnly: boolean;
}

export function generateFlagTypes(flags: readonly ExportedFlag[], options: FlagTypesOptions): { source: string; count: number } {
  const shown = flags
    .filter((f) => !options.clientVisibleOnly || f.clientVisible)
    .slice()
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const command = `switchboard types -e ${options.environment}${options.clientVisibleOnly ? ' --client-visible' : ''}`;
  const lines = [
    `// Generated by \`${docText(command)}\`; do not edit. Run it again when flags, variants or payloads change.`,
    '',
    '/** The flags of the environment, for `createClient<Flags>()`: a misspelled key does not compile. */',
    'export interface Flags {',
  ];
  for (const flag of shown) {
    let about = [flag.name !== flag.key ? flag.name : '', flag.description]
      .map(docText)
      .filter((t) => t !== '')
      .join(' - ');
    if (!flag.clientVisible && !options.clientVisibleOnly) about = `${about} (server SDKs only: not client-visible)`.trim();
    if (about !== '') lines.push(`  /** ${about} */`);
    lines.push(`  ${propertyName(flag.key)}: ${valueType(variantsOf(flag, options.environment), '  ')};`);
  }
  lines.push('}', '');
  return { source: lines.join('\n'), count: shown.length };
}
