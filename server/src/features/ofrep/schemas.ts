import { Type } from 'typebox';

/**
 * OFREP's request and response shapes (open-feature/protocol, service/openapi.yaml), for validation
 * and the OpenAPI document. HTTP only.
 */

const Key = Type.String({ description: 'Feature flag key' });

/** OFREP's flat context: `targetingKey` (our `userId`) plus any attributes. */
export const OfrepContextSchema = Type.Object(
  {
    targetingKey: Type.Optional(Type.String({ description: "The sticky id: Switchboard's userId (unless userId is given too)" })),
  },
  { additionalProperties: true, description: 'Context for the evaluation; scalar attributes become properties' },
);

export const EvaluationRequest = Type.Object({ context: Type.Optional(OfrepContextSchema) }, { additionalProperties: true });

export const BulkEvaluationRequest = Type.Object(
  {
    context: Type.Optional(OfrepContextSchema),
    flags: Type.Optional(
      Type.Array(Type.String({ maxLength: 500 }), {
        maxItems: 10_000,
        description: 'Switchboard extension: evaluate only these keys (unknown or invisible ones are left out)',
      }),
    ),
  },
  { additionalProperties: true },
);

const Metadata = Type.Object(
  {
    enabled: Type.Boolean(),
    reason: Type.String({ description: "Switchboard's reason (OFF, ON, RULE_MATCH, NO_RULE_MATCH, DEPENDENCY_FAILED)" }),
    ruleId: Type.Optional(Type.String()),
    payloadType: Type.Optional(Type.String()),
  },
  { additionalProperties: Type.Union([Type.Boolean(), Type.String(), Type.Number()]) },
);

export const EvaluationSuccess = Type.Object({
  key: Key,
  value: Type.Unknown({ description: 'The variant payload parsed by its type, else the boolean `enabled`' }),
  reason: Type.String({ description: 'STATIC, TARGETING_MATCH, SPLIT, DISABLED or DEFAULT' }),
  variant: Type.String({ description: 'Our variant name; `disabled` when off or without variants' }),
  metadata: Metadata,
});

export const EvaluationFailure = Type.Object({
  key: Key,
  errorCode: Type.Union([
    Type.Literal('PARSE_ERROR'),
    Type.Literal('TARGETING_KEY_MISSING'),
    Type.Literal('INVALID_CONTEXT'),
    Type.Literal('GENERAL'),
  ]),
  errorDetails: Type.Optional(Type.String()),
});

export const FlagNotFound = Type.Object({
  key: Key,
  errorCode: Type.Literal('FLAG_NOT_FOUND'),
  errorDetails: Type.Optional(Type.String()),
});

export const BulkEvaluationSuccess = Type.Object({ flags: Type.Array(Type.Union([EvaluationSuccess, EvaluationFailure])) });

export const BulkEvaluationFailure = Type.Object({ errorCode: Type.String(), errorDetails: Type.Optional(Type.String()) });

/** 401, 403, 429, 503: our error shape, with OFREP's `errorDetails` beside it. */
export const GeneralError = Type.Object(
  {
    errorDetails: Type.Optional(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
  },
  { additionalProperties: true },
);

export const ConfigurationResponse = Type.Object({
  name: Type.String(),
  capabilities: Type.Object({
    cacheInvalidation: Type.Object({
      polling: Type.Object({ enabled: Type.Boolean(), minPollingIntervalMs: Type.Number() }),
    }),
    flagEvaluation: Type.Object({ supportedTypes: Type.Array(Type.String()) }),
    caching: Type.Object({ enabled: Type.Boolean(), ttl: Type.Optional(Type.Number()) }),
  }),
});

export const FlagParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 500 }) });
