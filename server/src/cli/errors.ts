/**
 * Exit codes a CI pipeline can branch on: "the server said no" (1) is not "could not talk to the
 * server" (2), which a pipeline may retry, and neither is "the command line is wrong" (64, as in
 * sysexits' EX_USAGE), which no retry fixes.
 */
export const ExitCode = { Ok: 0, Failed: 1, Unreachable: 2, Usage: 64 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure to report as `error: <message> (<code>)`, with details underneath, exiting 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The server answered with an error; `code` and `details` are the server's own. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: unknown,
  ) {
    super(message, code, details);
  }
}

/** No answer at all (refused, unknown host, timeout): exit 2. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong: the message, then how to use the command, exit 64. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage text to print under the message; the whole overview when absent. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
