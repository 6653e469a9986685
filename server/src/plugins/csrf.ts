import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ErrorCode } from '../errors.ts';
import { bearerToken, isReadMethod } from './auth.ts';

/** `host[:port]` without the scheme's default port, so `example.com` and `example.com:443` compare equal. */
function normaliseHost(host: string, protocol: string): string {
  const lower = host.toLowerCase();
  const defaultPort = protocol === 'https' || protocol === 'https:' ? ':443' : ':80';
  return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
}

/**
 * True when the browser says the request comes from a page of another origin. Requests without
 * either header come from programs, not from pages (browsers send `Origin` on every non-GET fetch
 * and form post), so they cannot be forged by a site the admin visits.
 */
function fromAnotherOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return true; // `null` (sandboxed frames, some redirects) and garbage alike
  }
  // Host, not scheme: behind a TLS-terminating proxy the server sees http while the page is https.
  return normaliseHost(url.host, url.protocol) !== normaliseHost(request.host, request.protocol);
}

function isJson(type: string | undefined): boolean {
  return type !== undefined && /^application\/json\s*(;|$)/i.test(type);
}

/**
 * Cross-site request forgery: the session cookie is SameSite=Lax, which still lets pages on another
 * port or subdomain of the same site post with it. Every state-changing admin request that does not
 * carry a bearer token (which no browser attaches on its own) must come from the server's own origin
 * and say `Content-Type: application/json`, body or not: no HTML form can send that type, and a
 * script on another origin would need a CORS preflight that admin paths never grant. Bearer requests
 * (CLI, CI) need no Origin, but a content type they send must still be JSON.
 */
export const csrfPlugin = fp(
  async (app) => {
    app.addHook('onRequest', async (request) => {
      if (isReadMethod(request.method) || !request.routeOptions.url?.startsWith('/api/admin/')) return;
      const type = request.headers['content-type'];
      if (bearerToken(request) === undefined) {
        if (fromAnotherOrigin(request)) {
          throw new AppError(403, ErrorCode.CrossOrigin, 'Changes must come from the admin UI itself or carry an API token');
        }
        if (!isJson(type)) {
          throw new AppError(415, ErrorCode.UnsupportedMediaType, 'Send Content-Type: application/json, also on requests without a body');
        }
      } else if (type !== undefined && !isJson(type)) {
        throw new AppError(415, ErrorCode.UnsupportedMediaType, 'Send Content-Type: application/json');
      }
    });
  },
  { name: 'csrf' },
);
