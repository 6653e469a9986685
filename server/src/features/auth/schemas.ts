import { Type } from 'typebox';
import { EnvironmentRolesSchema, RoleSchema } from '../../http/schemas.ts';
import { Password } from '../users/schemas.ts';

// No email pattern here: a login with a malformed email is just a wrong login (401), not a 400
// that would reveal which inputs are even considered.
export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const SessionUser = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema });

export const Me = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('token')]),
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  email: Type.Optional(Type.String()),
  /** Roles that replace `role` in single environments (a token's capped by its owner's); absent when none. */
  environmentRoles: Type.Optional(EnvironmentRolesSchema),
});

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Password },
  { additionalProperties: false },
);
