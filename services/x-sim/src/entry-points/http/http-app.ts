import express, { type ErrorRequestHandler, type Express } from 'express';
import { ZodError } from 'zod';
import type { SimState } from '../../sim-state.js';
import { authorizePagesRoutes } from './authorize-pages.routes.js';
import { consentRoutes } from './consent.routes.js';
import { gologinApiRoutes } from './gologin-api.routes.js';
import { outageGate } from './outage.middleware.js';
import { simConsentRoutes } from './sim-consent.routes.js';
import { simControlRoutes } from './sim-control.routes.js';
import { tokenApiRoutes } from './token-api.routes.js';
import { usersMeRoutes } from './users-me.routes.js';

/** X web, X API, GoLogin API and the sim controls, all on one origin. */
export function createHttpApp(state: SimState): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, _res, next) => {
    state.options.logger.debug('request', { method: req.method, path: req.path });
    next();
  });
  // After the body parsers of the routes: the secrets X was sent, for handledSecrets().
  app.use((req, res, next) => {
    res.on('finish', () => recordReceivedSecrets(state, req));
    next();
  });
  app.use(simControlRoutes(state));
  app.use(simConsentRoutes(state));
  app.use(outageGate(state));
  app.use(authorizePagesRoutes(state));
  app.use(consentRoutes(state));
  app.use(tokenApiRoutes(state));
  app.use(usersMeRoutes(state));
  app.use(gologinApiRoutes(state));
  app.use((_req, res) => void res.status(404).json({ message: 'Not found' }));
  app.use(errorHandler(state));
  return app;
}

// Not code_challenge: PKCE's challenge is public by design (it travels in the browser's URL).
const SECRET_PARAMS = ['state', 'code', 'code_verifier', 'refresh_token', 'token', 'client_secret'];

function recordReceivedSecrets(state: SimState, req: express.Request): void {
  const sources = [req.query, typeof req.body === 'object' && req.body ? req.body : {}] as Array<Record<string, unknown>>;
  for (const source of sources) {
    for (const name of SECRET_PARAMS) {
      const value = source[name];
      if (typeof value === 'string' && value.length >= 8) state.receivedSecrets.add(value);
    }
  }
  const auth = /^(Bearer|Basic)\s+(\S+)/i.exec(req.get('authorization') ?? '');
  if (auth) {
    state.receivedSecrets.add(auth[2]!);
    if (/^basic$/i.test(auth[1]!)) {
      const [, secret] = Buffer.from(auth[2]!, 'base64').toString('utf8').split(':');
      if (secret && secret.length >= 8) state.receivedSecrets.add(decodeURIComponent(secret));
    }
  }
}

function errorHandler(state: SimState): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ZodError) return void res.status(400).json({ code: 'validation_failed', message: err.message });
    const e = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; stack?: unknown; message?: unknown };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
    if (status === 500) state.options.logger.error('request failed', { path: req.path, err: String(e.stack ?? err) });
    if (res.headersSent) return void res.end();
    res.status(status).json({ code: status === 500 ? 'internal' : 'bad_request', message: String(e.message ?? err) });
  };
}
