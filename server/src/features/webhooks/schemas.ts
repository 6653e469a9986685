import { Type } from 'typebox';
import { NextCursor, PageQuery } from '../../http/paging.ts';
import { Name, Timestamp, Version } from '../../http/schemas.ts';

const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** An audit action (`flag.enabled`), a prefix pattern (`flag.*`) or `*`. */
export const EventPattern = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?)$',
  description: 'An event (audit action such as `flag.enabled`), a prefix pattern such as `flag.*`, or `*` for everything',
});
const Events = Type.Array(EventPattern, { minItems: 1, maxItems: 50 });
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http(s); private targets need allowPrivate' });
const AllowPrivate = Type.Boolean({
  description: 'Allow a URL that resolves to a loopback, link-local or private address (off by default)',
});

export const Webhook = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  allowPrivate: Type.Boolean(),
  version: Type.Integer(),
  createdBy: Type.String({ description: '`user:<id>` or `token:<id>` of whoever created it' }),
  createdAt: Timestamp,
});

export const CreatedWebhook = Type.Object({
  ...Webhook.properties,
  secret: Type.String({ description: 'The signing secret (`whsec_...`); shown this once' }),
});

export const RotateSecretBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7 * 86_400,
        description: 'How long deliveries stay signed with the old secret too (default a day; 0 retires it at once)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RotatedSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({ description: 'The new signing secret (`whsec_...`); shown this once' }),
  previousSecretExpiresAt: Timestamp,
});

export const WebhookParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateWebhookBody = Type.Object(
  { name: Name, url: Url, events: Events, allowPrivate: Type.Optional(AllowPrivate) },
  { additionalProperties: false },
);

export const UpdateWebhookBody = Type.Object(
  {
    name: Type.Optional(Name),
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
    allowPrivate: Type.Optional(AllowPrivate),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const DeliveryStateSchema = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

export const Delivery = Type.Object({
  id: Type.Integer(),
  event: Type.String(),
  state: DeliveryStateSchema,
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()], { description: 'When the next attempt is due; null once delivered or failed' }),
  deliveredAt: NullableTimestamp,
  createdAt: Timestamp,
  payload: Type.Object(
    {
      id: Type.Integer(),
      event: Type.String(),
      resource: Type.Object({ type: Type.String(), key: Type.String() }),
      environment: Type.Union([Type.String(), Type.Null()]),
      actor: Type.String(),
      before: Type.Unknown(),
      after: Type.Unknown(),
      at: Timestamp,
    },
    { description: 'The JSON body as sent' },
  ),
});

export const DeliveriesQuery = Type.Object(
  {
    before: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Id cursor: deliveries older than this one' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: PageQuery.cursor,
  },
  { additionalProperties: false },
);

export const DeliveryPage = Type.Object({
  deliveries: Type.Array(Delivery),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
  nextCursor: NextCursor,
});
