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
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
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

/** The Postgres SQLSTATE of a database error (drizzle wraps the driver's error in `cause`). */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
