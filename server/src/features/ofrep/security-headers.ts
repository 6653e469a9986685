import helmet from 'helmet';
import { helmetOptions } from '../../plugins/security-headers.ts';

/**
 * The security headers every answer carries, computed once. @fastify/helmet builds helmet's
 * middleware again on every request (an eighth of an OFREP request's CPU in `bench:ofrep`), so the
 * OFREP routes opt out of it and set the very same headers from this list instead. The
 * Cross-Origin-Resource-Policy header is left to the SDK scope (cross-origin, see app.ts).
 */
export function fixedSecurityHeaders(secureCookies: boolean): Array<[string, string]> {
  const headers = new Map<string, string>();
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
    getHeader(name: string) {
      return headers.get(name.toLowerCase());
    },
  };
  let failed: unknown;
  helmet(helmetOptions(secureCookies))({ headers: {} } as never, response as never, (err?: unknown) => {
    failed = err;
  });
  if (failed) throw failed;
  headers.delete('cross-origin-resource-policy');
  return [...headers];
}
