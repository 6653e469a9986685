import { LIMITS } from '@switchboard/core/validation';
import { Type } from 'typebox';
import { Description, Key, Name, Timestamp, Version } from '../../http/schemas.ts';
import { ConditionSchema } from '../flags/schemas.ts';

/**
 * Values a segment may hold in all its conditions together: a pasted list of user ids. IN/NOT_IN
 * compile to a hash set, so evaluation stays one lookup per condition whatever the size.
 */
export const SEGMENT_VALUES_MAX = LIMITS.segmentValues;

/** A rule's condition, with room for a segment's long lists. */
const SegmentCondition = Type.Object(
  { ...ConditionSchema.properties, values: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: SEGMENT_VALUES_MAX }) },
  { additionalProperties: false },
);

export const SegmentParams = Type.Object({ key: Key });

export const CreateSegmentBody = Type.Object(
  {
    key: Key,
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    conditions: Type.Array(SegmentCondition, { maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const UpdateSegmentBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    conditions: Type.Optional(Type.Array(SegmentCondition, { maxItems: 50 })),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);

export const SegmentView = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  conditions: Type.Array(SegmentCondition),
  usedBy: Type.Array(Type.String()),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
