import { Operator } from '@switchboard/core';
import { Type } from 'typebox';
import { NextCursor, PageQuery } from '../../http/paging.ts';
import { Description, Key, Name, Timestamp, Version } from '../../http/schemas.ts';

const Attribute = Type.String({ minLength: 1, maxLength: 100 });
const Stickiness = Type.String({ minLength: 1, maxLength: 100 });

export const ConditionSchema = Type.Object(
  {
    attribute: Attribute,
    operator: Type.Enum(Object.values(Operator)),
    values: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 }),
    inverted: Type.Optional(Type.Boolean()),
    caseInsensitive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const VariantSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    weight: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    payload: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('string'), Type.Literal('json'), Type.Literal('number'), Type.Literal('csv')]),
          value: Type.String({ maxLength: 10_000 }),
        },
        { additionalProperties: false },
      ),
    ),
    overrides: Type.Optional(
      Type.Array(
        Type.Object(
          { attribute: Attribute, values: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        {
          maxItems: 20,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RuleSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    segments: Type.Optional(Type.Array(Key, { maxItems: 20 })),
    conditions: Type.Optional(Type.Array(ConditionSchema, { maxItems: 50 })),
    rollout: Type.Optional(
      Type.Object(
        {
          percentage: Type.Number({ minimum: 0, maximum: 100 }),
          stickiness: Type.Optional(Stickiness),
          groupId: Type.Optional(Type.String({ maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
    ),
    variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
    variantStickiness: Type.Optional(Stickiness),
  },
  { additionalProperties: false },
);

export const DependencySchema = Type.Object(
  {
    flag: Key,
    enabled: Type.Optional(Type.Boolean()),
    variants: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

const FlagKind = Type.Union([Type.Literal('boolean'), Type.Literal('multivariate')]);
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 });

export const FlagParams = Type.Object({ key: Key });
export const FlagEnvParams = Type.Object({ key: Key, env: Key });

export const CreateFlagBody = Type.Object(
  {
    key: Key,
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    kind: Type.Optional(FlagKind),
    tags: Type.Optional(Tags),
    clientVisible: Type.Optional(Type.Boolean()),
    /** A multivariate flag's variants, set in every environment at creation. */
    variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
    variantStickiness: Type.Optional(Stickiness),
  },
  { additionalProperties: false },
);

export const UpdateFlagBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    kind: Type.Optional(FlagKind),
    tags: Type.Optional(Tags),
    clientVisible: Type.Optional(Type.Boolean()),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const UpdateFlagEnvironmentBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 200 })),
    variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
    /** null goes back to the default stickiness. */
    variantStickiness: Type.Optional(Type.Union([Stickiness, Type.Null()])),
    dependencies: Type.Optional(Type.Array(DependencySchema, { maxItems: 20 })),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const RevertBody = Type.Object({ toVersion: Version, version: Type.Optional(Version) }, { additionalProperties: false });

export const ListFlagsQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    tag: Type.Optional(Type.String({ maxLength: 50 })),
    state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived'), Type.Literal('all')])),
    environment: Type.Optional(Key),
    enabled: Type.Optional(Type.Boolean()),
    stale: Type.Optional(Type.Boolean()),
    sort: Type.Optional(
      Type.Union([Type.Literal('updated'), Type.Literal('created'), Type.Literal('name'), Type.Literal('evaluated')], {
        description: 'updated (last change, default), created, name, or evaluated (last evaluation by any SDK, never last); ties by key',
      }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'Default: asc for name, desc (newest first) for the times' }),
    ),
    ...PageQuery,
    offset: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Superseded by `cursor` (kept for older clients); not with `cursor`' }),
    ),
  },
  { additionalProperties: false },
);

// Responses describe what is stored, which imports may fill with payload types of their own.
const StoredVariant = Type.Object({
  name: Type.String(),
  weight: Type.Integer(),
  payload: Type.Optional(Type.Object({ type: Type.String(), value: Type.String() })),
  overrides: Type.Optional(Type.Array(Type.Object({ attribute: Type.String(), values: Type.Array(Type.String()) }))),
});

const StoredRule = Type.Object({
  id: Type.String(),
  description: Type.Optional(Type.String()),
  segments: Type.Optional(Type.Array(Type.String())),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  rollout: Type.Optional(
    Type.Object({ percentage: Type.Number(), stickiness: Type.Optional(Type.String()), groupId: Type.Optional(Type.String()) }),
  ),
  variants: Type.Optional(Type.Array(StoredVariant)),
  variantStickiness: Type.Optional(Type.String()),
});

/** Where browsers evaluate the flag (delivery/client-view.ts `browserEvaluation`), and why. */
export const BrowserEvaluationView = Type.Object({
  mode: Type.Union([Type.Literal('local'), Type.Literal('server'), Type.Literal('hidden')]),
  reasons: Type.Array(
    Type.Object({
      code: Type.String(),
      attribute: Type.Optional(Type.String()),
      ruleId: Type.Optional(Type.String()),
      segment: Type.Optional(Type.String()),
      flag: Type.Optional(Type.String()),
    }),
  ),
});

export const FlagEnvironmentView = Type.Object({
  flag: Type.String(),
  environment: Type.String(),
  enabled: Type.Boolean(),
  rules: Type.Array(StoredRule),
  variants: Type.Array(StoredVariant),
  variantStickiness: Type.Optional(Type.String()),
  dependencies: Type.Array(DependencySchema),
  version: Type.Integer(),
  updatedAt: Timestamp,
  /** In the answer to GET only. */
  browser: Type.Optional(BrowserEvaluationView),
});

export const FlagEnvironmentSummary = Type.Object({
  enabled: Type.Boolean(),
  version: Type.Integer(),
  ruleCount: Type.Integer(),
  updatedAt: Timestamp,
  /** From SDK usage reports; null when no SDK has reported evaluating it here. */
  lastEvaluatedAt: Type.Union([Timestamp, Type.Null()]),
  /** Change requests still in play for this flag here (open, approved, changes requested); in GET /flags/:key only. */
  openChangeRequests: Type.Optional(Type.Integer()),
  evaluations: Type.Optional(
    Type.Object(
      { last24h: Type.Integer(), last7d: Type.Integer() },
      {
        description:
          'Evaluations reported by SDKs in the last 24 hours and 7 days (whole hours, see GET /flags/{key}/usage). ' +
          'In the answers to GET /flags and GET /flags/{key} only.',
      },
    ),
  ),
});

export const FlagView = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  kind: Type.String(),
  tags: Type.Array(Type.String()),
  clientVisible: Type.Boolean(),
  archived: Type.Boolean(),
  archivedAt: Type.Union([Timestamp, Type.Null()]),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  environments: Type.Record(Type.String(), FlagEnvironmentSummary),
});

export const FlagList = Type.Object({ flags: Type.Array(FlagView), total: Type.Integer(), nextCursor: NextCursor });

export const ConfigVersionView = Type.Object({
  version: Type.Integer(),
  enabled: Type.Boolean(),
  rules: Type.Array(StoredRule),
  variants: Type.Array(StoredVariant),
  variantStickiness: Type.Optional(Type.String()),
  dependencies: Type.Array(DependencySchema),
  actor: Type.String(),
  createdAt: Timestamp,
});
