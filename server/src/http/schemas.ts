import { Type } from 'typebox';

/** Pieces every route's schema shares. HTTP only: domain code never imports this. */

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse' },
);

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  412: ErrorResponse,
  423: ErrorResponse,
  428: ErrorResponse,
} as const;

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 100 })),
  /** An admin's justification for writing during a freeze window (10+ characters; audited). */
  'x-freeze-override': Type.Optional(Type.String({ maxLength: 1000 })),
});

export const Key = Type.String({ minLength: 1, maxLength: 100 });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 2000 });
export const Version = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const Timestamp = Type.String({ format: 'date-time' });
export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('editor'), Type.Literal('admin')]);
/** Per-environment roles: `{ production: 'viewer' }` replaces the global role on routes of that environment. */
export const EnvironmentRolesSchema = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), RoleSchema, { maxProperties: 100 });
export const Ok = Type.Object({ ok: Type.Literal(true) });
