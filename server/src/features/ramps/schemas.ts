import { Type } from 'typebox';
import { PageQuery } from '../../http/paging.ts';
import { Key, Timestamp } from '../../http/schemas.ts';

const Step = Type.Object(
  { percentage: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), holdSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }) },
  { additionalProperties: false },
);
const Guard = Type.Object(
  {
    metric: Type.String({ minLength: 1, maxLength: 100 }),
    comparator: Type.Union([Type.Literal('gt'), Type.Literal('lt')]),
    threshold: Type.Number({ minimum: -1e12, maximum: 1e12 }),
    action: Type.Union([Type.Literal('pause'), Type.Literal('rollback')]),
  },
  { additionalProperties: false },
);

export const RampParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateRampBody = Type.Object(
  {
    flag: Key,
    environment: Key,
    ruleId: Type.String({ minLength: 1, maxLength: 100 }),
    steps: Type.Array(Step, { minItems: 1, maxItems: 20 }),
    guard: Type.Optional(Guard),
  },
  { additionalProperties: false },
);

export const AbortBody = Type.Object(
  { to: Type.Optional(Type.Union([Type.Literal('previous'), Type.Literal('zero')])) },
  { additionalProperties: false },
);

export const SignalBody = Type.Object(
  {
    metric: Type.String({ minLength: 1, maxLength: 100 }),
    value: Type.Number({ minimum: -1e12, maximum: 1e12 }),
    variant: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const RampQuery = Type.Object(
  { flag: Type.Optional(Key), environment: Type.Optional(Key), state: Type.Optional(Type.String({ maxLength: 20 })), ...PageQuery },
  { additionalProperties: false },
);

export const RampView = Type.Object({
  id: Type.String(),
  flag: Type.String(),
  environment: Type.String(),
  ruleId: Type.String(),
  steps: Type.Array(Type.Object({ percentage: Type.Number(), holdSeconds: Type.Integer() })),
  guard: Type.Union([
    Type.Object({ metric: Type.String(), comparator: Type.String(), threshold: Type.Number(), action: Type.String() }),
    Type.Null(),
  ]),
  state: Type.String(),
  currentStep: Type.Integer(),
  previousPercentage: Type.Union([Type.Number(), Type.Null()]),
  nextStepAt: Type.Union([Timestamp, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
