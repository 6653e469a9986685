import { Type } from 'typebox';
import { EnvironmentRolesSchema, Name, RoleSchema, Timestamp } from '../../http/schemas.ts';

const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const TokenScope = { Read: 'read', Write: 'write' } as const;
export type TokenScope = (typeof TokenScope)[keyof typeof TokenScope];
const TokenScopeSchema = Type.Union([Type.Literal(TokenScope.Read), Type.Literal(TokenScope.Write)], {
  description: '`read`: GET only; `write`: whatever the role allows',
});

export const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to tell tokens apart' }),
  role: RoleSchema,
  environmentRoles: EnvironmentRolesSchema,
  scope: TokenScopeSchema,
  ownerId: Type.Union([Type.String(), Type.Null()], {
    description: 'The user the token acts for: it never does more than they may, and stops when they are disabled',
  }),
  expiresAt: NullableTimestamp,
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

export const CreateTokenBody = Type.Object(
  {
    name: Name,
    role: RoleSchema,
    /** Roles in single environments (each capped by the owner's there too). */
    environmentRoles: Type.Optional(EnvironmentRolesSchema),
    scope: Type.Optional(TokenScopeSchema),
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
