/** What went wrong between an SDK and the server (both SDKs); `error` events carry one of these. */
export const SwitchboardErrorCode = {
  /** The server answered with a status other than 200 (or 304 to a poll); see `status`. */
  HttpStatus: 'HTTP_STATUS',
  /** No answer: refused, reset, DNS, TLS. */
  Network: 'NETWORK',
  /** No response headers within `requestTimeoutMs`. */
  Timeout: 'TIMEOUT',
  /** A connected stream sent nothing, not even a heartbeat, for `heartbeatTimeoutMs`. */
  DeadStream: 'DEAD_STREAM',
  /** The stream answered 200 but not with `text/event-stream` (a proxy in the way, say). */
  NotEventStream: 'NOT_EVENT_STREAM',
  /** Malformed JSON, a payload that is not a valid snapshot or patch, or a patch out of sequence. */
  InvalidData: 'INVALID_DATA',
  /** One event or snapshot larger than `maxEventBytes`. */
  TooLarge: 'TOO_LARGE',
  /** Options the client cannot work with (no `url`, say); the client then serves local data only. */
  Configuration: 'CONFIGURATION',
} as const;
export type SwitchboardErrorCode = (typeof SwitchboardErrorCode)[keyof typeof SwitchboardErrorCode];

export interface SwitchboardErrorDetails {
  status?: number;
  /** True when the client gave up: it will not retry (wrong key, wrong URL, bad options). */
  fatal?: boolean;
  /** When the client will try again, if it will. */
  retryInMs?: number;
  cause?: unknown;
}

export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';
  readonly code: SwitchboardErrorCode;
  readonly status: number | undefined;
  readonly fatal: boolean;
  retryInMs: number | undefined;

  constructor(code: SwitchboardErrorCode, message: string, details: SwitchboardErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.fatal = details.fatal ?? false;
    this.retryInMs = details.retryInMs;
  }
}
