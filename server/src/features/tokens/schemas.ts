import { Type } from 'typebox';
import { Name, RoleSchema, Timestamp } from '../../http/schemas.ts';

const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to tell tokens apart' }),
  role: RoleSchema,
  createdBy: Type.String({ description: '`user:<id>` or `token:<id>` of whoever created it' }),
  createdAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
});

export const CreatedToken = Type.Object({
  ...Token.properties,
  secret: Type.String({ description: 'Shown this once; only its hash is kept' }),
});

export const TokenParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateTokenBody = Type.Object({ name: Name, role: RoleSchema }, { additionalProperties: false });
