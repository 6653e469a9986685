import { Type } from 'typebox';
import { PageQuery } from '../../http/paging.ts';
import { Key, Name, Timestamp } from '../../http/schemas.ts';

export const KeyKindSchema = Type.Union([Type.Literal('server'), Type.Literal('client')], {
  description: '`server` reads the full config; `client` reads the client view only',
});

export const SdkKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Type.String(),
  kind: KeyKindSchema,
  prefix: Type.String({ description: 'The first characters of the secret, to tell keys apart' }),
  createdBy: Type.String({ description: '`user:<id>` or `token:<id>` of whoever created it' }),
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});

export const CreatedSdkKey = Type.Object({
  ...SdkKey.properties,
  secret: Type.String({ description: 'Shown this once; only its hash is kept' }),
});

export const KeyParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ListKeysQuery = Type.Object({ environment: Type.Optional(Key), ...PageQuery }, { additionalProperties: false });

export const CreateKeyBody = Type.Object({ name: Name, environment: Key, kind: KeyKindSchema }, { additionalProperties: false });
