import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * The admin UI's policy: scripts, styles and connections from the server itself only (Vite emits
 * no inline script), nothing may frame it, and no form posts anywhere else. Sent on every answer;
 * on JSON and SSE it costs nothing and covers any answer a browser might render.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Swagger UI at /docs sets inline style attributes from its scripts' markup; the rest stays as strict. */
export const DOCS_CONTENT_SECURITY_POLICY = Object.entries({
  ...CONTENT_SECURITY_POLICY,
  styleSrc: ["'self'", "'unsafe-inline'"],
})
  .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
  .join('; ');

/** helmet's options: CSP, nosniff, frame denial, no referrer; HSTS only over HTTPS (SECURE_COOKIES). */
export function helmetOptions(secureCookies: boolean) {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
    strictTransportSecurity: secureCookies ? { maxAge: 15_552_000, includeSubDomains: true } : (false as const),
    // Same-origin: no other page (another port of this host included) may embed admin answers;
    // SDK routes relax it for themselves (see app.ts).
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
  };
}

export const securityHeadersPlugin = fp(
  async (app) => {
    await app.register(helmet, helmetOptions(app.config.secureCookies));
  },
  { name: 'security-headers', dependencies: ['infrastructure'] },
);
