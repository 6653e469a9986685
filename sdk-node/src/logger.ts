/** Where the client writes what it cannot tell the application through a return value or an event. */
export interface Logger {
  debug?(message: string, details?: unknown): void;
  info?(message: string, details?: unknown): void;
  warn(message: string, details?: unknown): void;
  error(message: string, details?: unknown): void;
}

export type SafeLogger = Required<Logger>;

const PREFIX = '[switchboard]';

/** Warnings and errors on the console; debug and info stay quiet unless a logger is passed. */
export const consoleLogger: Logger = {
  warn: (message, details) => (details === undefined ? console.warn(PREFIX, message) : console.warn(PREFIX, message, details)),
  error: (message, details) => (details === undefined ? console.error(PREFIX, message) : console.error(PREFIX, message, details)),
};

/** A logger that never throws, whatever the one it wraps does: logging must not break evaluation. */
export function safeLogger(logger: Logger): SafeLogger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, details?: unknown): void => {
      try {
        logger[level]?.(message, details);
      } catch {
        // Nowhere left to report it.
      }
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
