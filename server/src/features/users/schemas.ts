import { Type } from 'typebox';
import { EnvironmentRolesSchema, Name, RoleSchema, Timestamp, Version } from '../../http/schemas.ts';

/** The same loose shape ADMIN_EMAIL is checked against: `admin@localhost` must pass too. */
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });
export const Password = Type.String({ minLength: 8, maxLength: 200 });

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  environmentRoles: EnvironmentRolesSchema,
  version: Type.Integer(),
  createdAt: Timestamp,
  disabledAt: Type.Union([Timestamp, Type.Null()]),
});

export const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateUserBody = Type.Object(
  { email: Email, name: Name, password: Password, role: RoleSchema },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(RoleSchema),
    /** Replaces the user's per-environment roles whole; `{}` removes them. */
    environmentRoles: Type.Optional(EnvironmentRolesSchema),
    password: Type.Optional(Password),
    currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Needed when you change your own password' })),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);
