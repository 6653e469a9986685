import { Type } from 'typebox';
import { Key, Name, Timestamp, Version } from '../../http/schemas.ts';

export const Environment = Type.Object({
  key: Type.String(),
  name: Type.String(),
  revision: Type.Integer(),
  version: Type.Integer(),
  /** Production-like: the admin UI confirms every write with its diff. */
  protected: Type.Boolean(),
  /** Approvals a change request needs; 0 = direct writes. */
  requiredApprovals: Type.Integer({ minimum: 0, maximum: 5 }),
  /** Whether the author of an approved change request may apply it. */
  allowSelfApply: Type.Boolean(),
  createdAt: Timestamp,
});

export const EnvironmentParams = Type.Object({ env: Key });

export const CreateEnvironmentBody = Type.Object(
  { key: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', minLength: 1, maxLength: 50 }), name: Name },
  { additionalProperties: false },
);

export const RenameEnvironmentBody = Type.Object({ name: Name, version: Type.Optional(Version) }, { additionalProperties: false });

export const EnvironmentSettingsBody = Type.Object(
  {
    protected: Type.Optional(Type.Boolean()),
    requiredApprovals: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    allowSelfApply: Type.Optional(Type.Boolean()),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);
