import { Type } from 'typebox';

/** HTTP shapes of the Unleash-compatible client API. Open where Unleash SDKs add fields over time. */

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const Text = Type.String({ maxLength: 500 });

export const FeaturesQuery = Type.Object(
  {
    project: Type.Optional(Type.String({ maxLength: 200 })),
    namePrefix: Type.Optional(Type.String({ maxLength: 100 })),
    tag: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })])),
  },
  { additionalProperties: true },
);

export const ClientFeatures = Type.Object(
  {
    version: Type.Integer(),
    features: Type.Array(Type.Object({ name: Type.String(), enabled: Type.Boolean() }, { additionalProperties: true })),
    segments: Type.Array(Type.Object({ id: Type.Integer() }, { additionalProperties: true })),
  },
  { additionalProperties: true, description: "Unleash's client-features format, as `GET /api/client/features` of an Unleash server." },
);

export const RegisterBody = Type.Object(
  {
    appName: Type.String({ minLength: 1, maxLength: 200 }),
    instanceId: Type.Optional(Text),
    connectionId: Type.Optional(Text),
    sdkVersion: Type.Optional(Text),
    strategies: Type.Optional(Type.Array(Text, { maxItems: 100 })),
    started: Type.Optional(Type.String({ maxLength: 100 })),
    interval: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);

export const MetricsBody = Type.Object(
  {
    appName: Type.Optional(Type.String({ maxLength: 200 })),
    instanceId: Type.Optional(Text),
    bucket: Type.Object(
      {
        start: Type.Optional(Type.String({ maxLength: 100 })),
        stop: Type.Optional(Type.String({ format: 'date-time' })),
        toggles: Type.Record(
          Type.String({ minLength: 1, maxLength: 100 }),
          Type.Object(
            { yes: Count, no: Count, variants: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Count, { maxProperties: 50 })) },
            { additionalProperties: true },
          ),
          { maxProperties: 5000 },
        ),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/** Unleash's error body: SDKs look at the status; people read `name` and `message`. */
export const UnleashError = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'Stable: InvalidTokenError, NoAccessError, ...' }),
  message: Type.String(),
  details: Type.Array(Type.Object({ message: Type.String(), description: Type.String() })),
});

export const FrontendQuery = Type.Record(
  Type.String({ maxLength: 200 }),
  Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 10 })]),
  {
    maxProperties: 100,
    description: 'The context: userId, sessionId, remoteAddress, currentTime, appName, environment, properties[name]',
  },
);

export const FrontendBody = Type.Object(
  { context: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), { maxProperties: 100 })) },
  { additionalProperties: true },
);

export const FrontendToggles = Type.Object({
  toggles: Type.Array(
    Type.Object({
      name: Type.String(),
      enabled: Type.Boolean(),
      variant: Type.Object({
        name: Type.String(),
        enabled: Type.Boolean(),
        payload: Type.Optional(Type.Object({ type: Type.String(), value: Type.String() })),
      }),
      impressionData: Type.Boolean(),
    }),
  ),
});
