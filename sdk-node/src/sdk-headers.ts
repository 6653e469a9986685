const USER_AGENT = 'switchboard-sdk-node/0.1.0';

/**
 * Headers of every request to the server. Each request ends its connection: the stream holds one for
 * its whole life anyway, and polls and metrics reports are further apart than servers keep an idle
 * connection open. So reuse would save nothing, and no pooled socket outlives `close()`.
 */
export function sdkHeaders(sdkKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: sdkKey, 'user-agent': USER_AGENT, connection: 'close', ...extra };
}
