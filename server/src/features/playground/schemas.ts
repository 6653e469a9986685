import { Type } from 'typebox';
import { Key, Timestamp } from '../../http/schemas.ts';

const Value = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);

/** The context as the SDKs take it: known fields, and anything else under `properties`. */
export const PlaygroundContext = Type.Object(
  {
    userId: Type.Optional(Type.String({ maxLength: 1000 })),
    sessionId: Type.Optional(Type.String({ maxLength: 1000 })),
    remoteAddress: Type.Optional(Type.String({ maxLength: 100 })),
    appName: Type.Optional(Type.String({ maxLength: 200 })),
    /** ISO date-time for DATE conditions ("what will they get next Monday"); now when absent. */
    currentTime: Type.Optional(Type.String({ format: 'date-time' })),
    properties: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Value, { maxProperties: 200 })),
  },
  { additionalProperties: false },
);

export const EvaluateBody = Type.Object(
  {
    environment: Key,
    context: PlaygroundContext,
    /** Only these flags (unknown keys are listed as FLAG_NOT_FOUND); every active flag when absent. */
    flags: Type.Optional(Type.Array(Key, { maxItems: 500 })),
  },
  { additionalProperties: false },
);

export const PlaygroundResult = Type.Object({
  flag: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  reason: Type.String(),
  /** The rule that decided, when one did: its id, its place (1-based) and its description. */
  rule: Type.Union([Type.Object({ id: Type.String(), index: Type.Integer(), description: Type.Optional(Type.String()) }), Type.Null()]),
  variant: Type.Object({
    name: Type.String(),
    enabled: Type.Boolean(),
    payload: Type.Optional(Type.Object({ type: Type.String(), value: Type.String() })),
  }),
  errorCode: Type.Optional(Type.String()),
  errorMessage: Type.Optional(Type.String()),
});

export const EvaluateResponse = Type.Object({
  environment: Type.String(),
  /** The environment's revision the answer was computed on. */
  revision: Type.Integer(),
  evaluatedAt: Timestamp,
  results: Type.Array(PlaygroundResult),
});
