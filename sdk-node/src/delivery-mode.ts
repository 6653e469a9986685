/** How to keep the data current: the stream (with polling as a fallback), or polling alone. */
export const DeliveryMode = {
  Stream: 'stream',
  Poll: 'poll',
} as const;
export type DeliveryMode = (typeof DeliveryMode)[keyof typeof DeliveryMode];
