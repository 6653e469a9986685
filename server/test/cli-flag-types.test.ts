import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { generateFlagTypes } from '../src/cli/flag-types.ts';
import type { ExportedFlag, ExportedVariant } from '../src/cli/types.ts';

/** `switchboard types`' generator on its own: the shapes it infers, and source that stays source. */

function flag(
  key: string,
  variants: ExportedVariant[] = [],
  extra: Partial<ExportedFlag> = {},
  ruleVariants: ExportedVariant[] = [],
): ExportedFlag {
  return {
    key,
    name: key,
    description: '',
    clientVisible: true,
    environments: { production: { enabled: true, variants, rules: ruleVariants.length > 0 ? [{ variants: ruleVariants }] : [] } },
    ...extra,
  };
}

const json = (name: string, value: unknown): ExportedVariant => ({
  name,
  weight: 1,
  payload: { type: 'json', value: JSON.stringify(value) },
});

/** The type of `Flags[key]` as the compiler sees it, printed; and every diagnostic of the file. */
function compile(source: string, key: string): { type: string; errors: string[] } {
  const file = 'flags.ts';
  const host = ts.createCompilerHost({});
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language) =>
    name === file ? ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true) : original(name, language);
  const program = ts.createProgram([file], { strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts'] }, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  const errors = ts.getPreEmitDiagnostics(program, sourceFile).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const flags = sourceFile?.statements.find(ts.isInterfaceDeclaration);
  const member = flags?.members.find((m) => m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) && m.name.text === key);
  const type = member ? checker.typeToString(checker.getTypeAtLocation(member), undefined, ts.TypeFormatFlags.NoTruncation) : 'missing';
  return { type, errors };
}

const generate = (flags: ExportedFlag[], clientVisibleOnly = false) =>
  generateFlagTypes(flags, { environment: 'production', clientVisibleOnly }).source;

describe('switchboard types: the generator', () => {
  it('infers one type from the json payloads of every variant, flag-wide and in rules', () => {
    const source = generate([
      flag(
        'banner',
        [
          json('a', { title: 'A', count: 1, tags: ['x'], nested: { deep: [{ k: true }] } }),
          json('b', { title: 'B', tags: [2], extra: null }),
        ],
        {},
        [json('c', { title: 'C', tags: [] })],
      ),
    ]);
    const { type, errors } = compile(source, 'banner');
    expect(errors).toEqual([]);
    expect(type).toBe(
      '{ variant: "a" | "b" | "c"; payload: { title: string; count?: number | undefined; tags: (string | number)[]; nested?: { deep: { k: boolean; }[]; } | undefined; extra?: null | undefined; }; }',
    );
  });

  it('types string, csv and number payloads as the SDKs parse them, mixed ones as a union, none as undefined', () => {
    const source = generate([
      flag('plain', [{ name: 'on', weight: 1 }]),
      flag('price', [
        { name: 'low', weight: 1, payload: { type: 'number', value: '1' } },
        { name: 'high', weight: 1, payload: { type: 'number', value: '2.5' } },
      ]),
      flag('mixed', [
        { name: 'a', weight: 1, payload: { type: 'csv', value: 'a,b' } },
        { name: 'b', weight: 1, payload: { type: 'number', value: '3' } },
        { name: 'c', weight: 1 },
      ]),
      flag('broken', [{ name: 'a', weight: 1, payload: { type: 'json', value: '{"unclosed": ' } }]),
      flag('switch'),
    ]);
    expect(compile(source, 'plain').type).toBe('{ variant: "on"; payload: undefined; }');
    expect(compile(source, 'price').type).toBe('{ variant: "low" | "high"; payload: number; }');
    expect(compile(source, 'mixed').type).toBe('{ variant: "a" | "b" | "c"; payload: string | number; }');
    expect(compile(source, 'broken').type).toBe('{ variant: "a"; payload: unknown; }');
    expect(compile(source, 'switch').type).toBe('boolean');
  });

  it('stops inferring below eight levels: deeper values are unknown', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 12; i++) deep = { d: deep };
    const { type, errors } = compile(generate([flag('deep', [json('a', deep)])]), 'deep');
    expect(errors).toEqual([]);
    expect(type).toContain('d: unknown;');
    expect(type).not.toContain('bottom');
  });

  it('keeps names, descriptions, keys and variant names from the server inert: no code, no hidden text', () => {
    const hostile = flag(
      "it's",
      [
        { name: "a'; export const pwned = 1; //", weight: 1 },
        { name: 'b\\', weight: 1 },
      ],
      {
        name: 'Line one\n export const injected = 1;',
        description: 'closes */ export const alsoInjected = 1; /* and hides \u202egnirts\u202c',
        clientVisible: false,
      },
    );
    const source = generate([hostile, flag('x\u2028y')]);
    const { type, errors } = compile(source, "it's");
    expect(errors).toEqual([]);
    expect(type).toBe('{ variant: "a\'; export const pwned = 1; //" | "b\\\\"; payload: undefined; }');
    expect(source).not.toMatch(/[\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    // One interface and nothing else: no statement came out of a name.
    const parsed = ts.createSourceFile('f.ts', source, ts.ScriptTarget.ES2022);
    expect(parsed.statements).toHaveLength(1);
    expect(source).toContain('(server SDKs only: not client-visible)');
    expect(compile(source, 'x\u2028y').type).toBe('boolean');
  });

  it('leaves out server-only flags with --client-visible, and sorts by key', () => {
    const source = generate([flag('zeta'), flag('alpha'), flag('secret', [], { clientVisible: false })], true);
    expect(source).not.toContain('secret');
    expect(source.indexOf('alpha')).toBeLessThan(source.indexOf('zeta'));
    expect(generateFlagTypes([flag('a')], { environment: 'production', clientVisibleOnly: true }).count).toBe(1);
  });
});
