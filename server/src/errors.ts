/**
 * The one error hierarchy of the server. Routes and services throw these; the error handler turns
 * them into `{ error: { code, message, details } }` with the status they carry. Anything else is a
 * 500 whose details stay in the log.
 */

export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  /** A paging cursor that was not handed out by this list (or for another sort). */
  InvalidCursor: 'INVALID_CURSOR',
  InvalidJson: 'INVALID_JSON',
  BodyTooLarge: 'BODY_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  /** A state-changing admin request from another origin (a form or script on another site or port). */
  CrossOrigin: 'CROSS_ORIGIN_REQUEST',
  /** A write with an API token whose scope is `read`. */
  ReadOnlyToken: 'READ_ONLY_TOKEN',
  /** The current password sent with a password change is wrong. */
  WrongPassword: 'WRONG_PASSWORD',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  InUse: 'IN_USE',
  VersionMismatch: 'VERSION_MISMATCH',
  VersionRequired: 'VERSION_REQUIRED',
  RateLimited: 'RATE_LIMITED',
  /** A webhook URL that resolves to loopback, link-local or private addresses. */
  PrivateTarget: 'PRIVATE_TARGET',
  UnresolvableTarget: 'UNRESOLVABLE_TARGET',
  Unavailable: 'UNAVAILABLE',
  /** The database cannot be reached (down, failing over, too slow): retry after `Retry-After`. */
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  Internal: 'INTERNAL',
  /** A direct write to an environment whose changes need approvals: propose a change request instead. */
  ApprovalRequired: 'APPROVAL_REQUIRED',
  /** A write during an environment's freeze window (423). */
  EnvironmentFrozen: 'ENVIRONMENT_FROZEN',
  /** The author of a change request approving it. */
  SelfApproval: 'SELF_APPROVAL',
  /** The author applying their own request where the environment does not allow it. */
  SelfApplyForbidden: 'SELF_APPLY_FORBIDDEN',
  /** Applying a change request that lacks its approvals. */
  NotApproved: 'NOT_APPROVED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  /** Sent as `Retry-After` (seconds) when set. */
  retryAfterSeconds: number | undefined;

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, ErrorCode.ValidationFailed, message, details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Log in or send a valid token') {
    super(401, ErrorCode.Unauthenticated, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, ErrorCode.Forbidden, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, ErrorCode.NotFound, `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown, code: ErrorCode = ErrorCode.Conflict) {
    super(409, code, message, details);
  }
}

/** A password change whose current password is missing or wrong. */
export class WrongPasswordError extends AppError {
  constructor(message = 'The current password is wrong') {
    super(403, ErrorCode.WrongPassword, message);
  }
}

/** 412: the caller edited a version that is no longer current. */
export class VersionMismatchError extends AppError {
  constructor(currentVersion: number) {
    super(412, ErrorCode.VersionMismatch, `The resource changed since you read it; it is now at version ${currentVersion}`, {
      currentVersion,
    });
  }
}

/** 428: updates must say which version they edit. */
export class VersionRequiredError extends AppError {
  constructor() {
    super(428, ErrorCode.VersionRequired, 'Send the version you edit in an If-Match header or a version field');
  }
}

/**
 * 503: the database is out of reach. A write cut off during its commit may still have landed, which
 * a retry with the same `If-Match` version detects (412).
 */
export class DatabaseUnavailableError extends AppError {
  constructor(message = 'The database is unavailable; retry shortly', retryAfterSeconds = 5) {
    super(503, ErrorCode.DatabaseUnavailable, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The Postgres SQLSTATE of a database error (drizzle wraps the driver's error in `cause`). */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Socket errors that mean the database host cannot be reached or dropped us. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a database that is going away or overloaded rather than of a bad request: class 08
 * (connection exception), shutdowns, too many connections, and statements cancelled by
 * `statement_timeout` or ended by `idle_in_transaction_session_timeout`.
 */
const UNAVAILABLE_STATES = /^(08...|57P0[1-3]|53300|57014|25P03)$/;
/** What `pg` and `pg-pool` say when a connection times out, ends, or was destroyed after a timeout. */
const DRIVER_MESSAGES =
  /^(Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * True when `err` (or what it wraps) says the database could not be reached or did not answer in
 * time, as opposed to refusing what was asked. Those become 503 with `Retry-After`, never 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const e = pending.pop();
    if (!(e instanceof Error) || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return true;
    if (DRIVER_MESSAGES.test(e.message)) return true;
    pending.push(e.cause);
    // Connecting to a name with several addresses fails with one error per address.
    if (e instanceof AggregateError) pending.push(...e.errors);
  }
  return false;
}
