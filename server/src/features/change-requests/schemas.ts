import { Type } from 'typebox';
import { NextCursor, PageQuery } from '../../http/paging.ts';
import { Key, Timestamp, Version } from '../../http/schemas.ts';
import { DependencySchema, RuleSchema, UpdateFlagEnvironmentBody, VariantSchema } from '../flags/schemas.ts';
import { CreateRampBody } from '../ramps/schemas.ts';
import { UpdateSegmentBody } from '../segments/schemas.ts';

const { version: _flagVersion, ...flagConfigFields } = UpdateFlagEnvironmentBody.properties;
const { version: _segmentVersion, ...segmentFields } = UpdateSegmentBody.properties;

/** The bodies of the direct writes, as they would have been sent (without their version). */
export const FlagConfigChange = Type.Object(
  {
    kind: Type.Literal('flag-config'),
    flagKey: Key,
    baseVersion: Version,
    config: Type.Object(flagConfigFields, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export const SegmentChange = Type.Object(
  {
    kind: Type.Literal('segment'),
    segmentKey: Key,
    baseVersion: Version,
    segment: Type.Object(segmentFields, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export const RampStartChange = Type.Object(
  {
    kind: Type.Literal('ramp-start'),
    flagKey: Key,
    ruleId: CreateRampBody.properties.ruleId,
    steps: CreateRampBody.properties.steps,
    guard: CreateRampBody.properties.guard,
  },
  { additionalProperties: false },
);
export const RampUpdateChange = Type.Object(
  {
    kind: Type.Literal('ramp-update'),
    rampId: Type.String({ format: 'uuid' }),
    baseVersion: Version,
    action: Type.Union([Type.Literal('start'), Type.Literal('pause'), Type.Literal('resume'), Type.Literal('abort')]),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const ScheduleChange = Type.Object(
  {
    kind: Type.Literal('schedule'),
    flagKey: Key,
    runAt: Timestamp,
    patch: Type.Object(
      {
        enabled: Type.Optional(Type.Boolean()),
        rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 200 })),
        variants: Type.Optional(Type.Array(VariantSchema, { maxItems: 50 })),
        dependencies: Type.Optional(Type.Array(DependencySchema, { maxItems: 20 })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);

export const Change = Type.Union([FlagConfigChange, SegmentChange, RampStartChange, RampUpdateChange, ScheduleChange]);

export const ChangeRequestState = Type.Union([
  Type.Literal('open'),
  Type.Literal('approved'),
  Type.Literal('changes_requested'),
  Type.Literal('rejected'),
  Type.Literal('applied'),
  Type.Literal('withdrawn'),
]);
export const Decision = Type.Union([
  Type.Literal('approve'),
  Type.Literal('request_changes'),
  Type.Literal('reject'),
  Type.Literal('comment'),
]);

const Person = Type.Object({ id: Type.String(), name: Type.String() });

export const Review = Type.Object({
  id: Type.String(),
  reviewer: Person,
  decision: Decision,
  comment: Type.String(),
  round: Type.Integer(),
  createdAt: Timestamp,
});

const changeRequestFields = {
  id: Type.String(),
  environment: Type.String(),
  title: Type.String(),
  reason: Type.String(),
  change: Type.Unknown(),
  state: ChangeRequestState,
  author: Person,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Type.Integer(),
  approvals: Type.Integer(),
  requiredApprovals: Type.Integer(),
  /** A rebase starts a new round; reviews of earlier rounds are kept but no longer count. */
  round: Type.Integer(),
  /** The target as it is now (flag configuration, segment or ramp, with its version), for the diff. */
  current: Type.Optional(Type.Unknown()),
  /** The target moved since the request's base version: apply answers 409 CONFLICT until rebased. */
  conflict: Type.Boolean(),
  appliedAt: Type.Optional(Timestamp),
  appliedBy: Type.Optional(Type.String()),
  resultVersion: Type.Optional(Type.Integer()),
};

export const ChangeRequestSummary = Type.Object(changeRequestFields);
export const ChangeRequest = Type.Object({ ...changeRequestFields, reviews: Type.Array(Review) });

export const ChangeRequestParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateChangeRequestBody = Type.Object(
  {
    environment: Key,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    change: Change,
  },
  { additionalProperties: false },
);

export const ReviewBody = Type.Object(
  { decision: Decision, comment: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
);

export const ApplyBody = Type.Object({ version: Version }, { additionalProperties: false });

export const RebaseBody = Type.Object({ baseVersion: Version, change: Change }, { additionalProperties: false });

export const ListChangeRequestsQuery = Type.Object(
  {
    environment: Type.Optional(Key),
    state: Type.Optional(ChangeRequestState),
    flag: Type.Optional(Key),
    view: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('to-review'), Type.Literal('all')])),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const ChangeRequestList = Type.Object({ items: Type.Array(ChangeRequestSummary), nextCursor: NextCursor });
