import { Type } from 'typebox';
import { Description, Key, Name, Timestamp, Version } from '../../http/schemas.ts';
import { ConditionSchema } from '../flags/schemas.ts';

export const SegmentParams = Type.Object({ key: Key });

export const CreateSegmentBody = Type.Object(
  {
    key: Key,
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    conditions: Type.Array(ConditionSchema, { maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const UpdateSegmentBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    conditions: Type.Optional(Type.Array(ConditionSchema, { maxItems: 50 })),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const SegmentView = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  conditions: Type.Array(ConditionSchema),
  usedBy: Type.Array(Type.String()),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
