import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers on every gateway answer: HSTS (a year, subdomains), nosniff, no framing, no
 * referrer, and a CSP that allows only the gateway's own scripts (Swagger UI at /docs needs its
 * inline styles and data: images; the console narrows it further).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
