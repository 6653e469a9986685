import { Type } from 'typebox';
import { PageQuery } from '../../http/paging.ts';
import { Key, Timestamp } from '../../http/schemas.ts';
import { MetricName } from '../usage/schemas.ts';

const Step = Type.Object(
  { percentage: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), holdSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }) },
  { additionalProperties: false },
);
const ThresholdGuard = Type.Object(
  {
    kind: Type.Optional(Type.Literal('threshold')),
    metric: Type.String({ minLength: 1, maxLength: 100 }),
    comparator: Type.Union([Type.Literal('gt'), Type.Literal('lt')]),
    threshold: Type.Number({ minimum: -1e12, maximum: 1e12 }),
    action: Type.Union([Type.Literal('pause'), Type.Literal('rollback')]),
  },
  { additionalProperties: false, description: 'Trips on a signal pushed to POST /ramps/{id}/signals past the threshold' },
);
const MetricGuard = Type.Object(
  {
    kind: Type.Literal('metric'),
    metric: MetricName,
    direction: Type.Union([Type.Literal('lower_is_better'), Type.Literal('higher_is_better')]),
    minEffect: Type.Number({
      exclusiveMinimum: 0,
      maximum: 10,
      description: 'Smallest relative change that matters: 0.1 is 10% more events per user (or 10% fewer when higher is better)',
    }),
    action: Type.Union([Type.Literal('pause'), Type.Literal('rollback')]),
  },
  {
    additionalProperties: false,
    description: 'Watches a tracked event: treatment (the rule rolled out) against control (its fall-through)',
  },
);
const Guard = Type.Union([MetricGuard, ThresholdGuard]);

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
    Type.Object({
      kind: Type.Literal('metric'),
      metric: Type.String(),
      direction: Type.String(),
      minEffect: Type.Number(),
      action: Type.String(),
    }),
    Type.Object({
      kind: Type.Optional(Type.Literal('threshold')),
      metric: Type.String(),
      comparator: Type.String(),
      threshold: Type.Number(),
      action: Type.String(),
    }),
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

const Bound = Type.Union([Type.Number(), Type.Null()]);

export const GuardMetricView = Type.Object({
  metric: Type.String(),
  direction: Type.String(),
  minEffect: Type.Number(),
  action: Type.String(),
  alpha: Type.Number(),
  since: Type.Union([Timestamp, Type.Null()], { description: 'Start of the compared window: when the plan was started' }),
  until: Timestamp,
  decision: Type.Union([Type.Literal('harm'), Type.Literal('no_harm'), Type.Literal('no_data')]),
  estimate: Type.Union([Type.Number(), Type.Null()], { description: "Relative change of the treatment's event rate against control's" }),
  interval: Type.Union([Type.Object({ lower: Bound, upper: Bound }), Type.Null()], {
    description: 'Always-valid (1 - alpha) interval of the relative change; null bounds are unbounded',
  }),
  treatmentEvents: Type.Number(),
  controlEvents: Type.Number(),
  series: Type.Array(
    Type.Object({
      minute: Timestamp,
      share: Type.Number({ description: 'Share of the traffic reaching the rule that had the new result' }),
      treatment: Type.Number(),
      control: Type.Number(),
    }),
  ),
});

export const GuardView = Type.Object({ ramp: RampView, metrics: Type.Array(GuardMetricView) });
