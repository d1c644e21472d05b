import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** The console's static files (services/gateway/console): plain HTML, CSS and JS, nothing built. */
const CONSOLE_DIR = fileURLToPath(new URL('../../../../console', import.meta.url));

/**
 * `GET /console`: the operator console, a page on the dead-letter office's REST API. The page holds
 * no secret: an operator signs in with a `dlq:admin` client and the token stays in the page. It is
 * never framed, and runs only its own script.
 */
export function consoleRoutes(): Router {
  const router = Router();
  router.use('/console', (_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });
  router.get('/console', (_req, res) => {
    res.sendFile(join(CONSOLE_DIR, 'index.html'));
  });
  router.use('/console', express.static(CONSOLE_DIR, { index: false, maxAge: '5m' }));
  return router;
}
