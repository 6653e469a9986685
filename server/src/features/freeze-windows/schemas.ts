import { Type } from 'typebox';
import { Key, Timestamp, Version } from '../../http/schemas.ts';

const Mode = Type.Union([Type.Literal('refuse'), Type.Literal('defer')], {
  description: '`refuse`: writes, ramp steps and scheduled changes in the window are refused; `defer`: scheduled work waits for its end',
});
const Recurrence = Type.Union([Type.Literal('none'), Type.Literal('weekly')]);
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const FreezeWindow = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  start: Timestamp,
  end: Timestamp,
  reason: Type.String(),
  recurrence: Recurrence,
  mode: Mode,
  createdBy: Type.String(),
  createdAt: Timestamp,
  version: Type.Integer(),
  activeNow: Type.Boolean(),
});

export const FreezeWindowParams = Type.Object({ env: Key, id: Type.String({ format: 'uuid' }) });

export const CreateFreezeWindowBody = Type.Object(
  { start: Timestamp, end: Timestamp, reason: Reason, recurrence: Recurrence, mode: Mode },
  { additionalProperties: false },
);

export const UpdateFreezeWindowBody = Type.Object(
  {
    start: Type.Optional(Timestamp),
    end: Type.Optional(Timestamp),
    reason: Type.Optional(Reason),
    recurrence: Type.Optional(Recurrence),
    mode: Type.Optional(Mode),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);
