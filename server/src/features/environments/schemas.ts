import { Type } from 'typebox';
import { Key, Name, Timestamp, Version } from '../../http/schemas.ts';

export const Environment = Type.Object({
  key: Type.String(),
  name: Type.String(),
  revision: Type.Integer(),
  version: Type.Integer(),
  createdAt: Timestamp,
});

export const EnvironmentParams = Type.Object({ env: Key });

export const CreateEnvironmentBody = Type.Object(
  { key: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', minLength: 1, maxLength: 50 }), name: Name },
  { additionalProperties: false },
);

export const RenameEnvironmentBody = Type.Object({ name: Name, version: Type.Optional(Version) }, { additionalProperties: false });
