import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Bodies are validated strictly: no type coercion and no silent removal of unknown properties, so
 * a wrongly typed or padded body is a 400, never a partial write. Query strings and params are
 * text by nature, so they get coercion.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

/** A lone UTF-16 surrogate: with the `u` flag, a well-formed pair is one code point and never matches. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Whether Postgres can store the string as it is: text and jsonb both refuse NUL, jsonb refuses an
 * unpaired surrogate and text silently replaces it with U+FFFD.
 */
function storable(s: string): boolean {
  return !s.includes('\0') && !LONE_SURROGATE.test(s);
}

interface Node {
  value: unknown;
  key: string | undefined;
  parent: Node | undefined;
}

function pointerOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) keys.push(n.key.replaceAll('~', '~0').replaceAll('/', '~1'));
  return keys
    .reverse()
    .map((k) => `/${k}`)
    .join('');
}

/**
 * The JSON pointer of the first string (value or property name) Postgres could not store, anywhere
 * in `data`. Iterative, and paths are built only for the culprit: open parts of a schema (the
 * import's Unleash payload) may nest as deep as the body limit allows.
 */
export function unstorableAt(data: unknown): string | undefined {
  const stack: Node[] = [{ value: data, key: undefined, parent: undefined }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      if (!storable(value)) return pointerOf(node);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], key: String(i), parent: node });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const child = { value: item, key, parent: node };
        if (!storable(key)) return pointerOf(child);
        stack.push(child);
      }
    }
  }
  return undefined;
}

const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * Ajv's validator, then a check that every string is storable, so such input is a 400 naming the
 * field rather than a database error (500) or a changed value.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  const validate: ValidateFunction = ajv.compile(schema as object);
  const checked = Object.assign(
    (data: unknown, context?: Parameters<ValidateFunction>[1]): boolean => {
      if (!validate(data, context)) {
        checked.errors = validate.errors;
        return false;
      }
      const at = unstorableAt(data);
      if (at !== undefined) {
        const error: ErrorObject = { instancePath: at, schemaPath: '#', keyword: 'storable', params: {}, message: UNSTORABLE_MESSAGE };
        checked.errors = [error];
        return false;
      }
      checked.errors = null;
      return true;
    },
    // Fastify passes the parent (so Ajv may coerce a root value) only to functions that carry this.
    { errors: null as ErrorObject[] | null | undefined, schemaEnv: validate.schemaEnv },
  );
  return checked as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
};
