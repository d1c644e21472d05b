import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ErrorCodes, type ServiceScope } from '@xauth/contracts';
import { AppError, type Metrics } from '@xauth/shared';
import type { ClientAuthenticator } from '../../domain/client-authenticator.js';
import type { ClientStates } from '../../domain/client-states.js';
import { parseApiKey, parseBearer } from '../../domain/credentials.rule.js';
import { hasScope } from '../../domain/scopes.rule.js';
import { InvalidTokenError, type Principal, type ServiceTokens } from '../../domain/service-token.js';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const REALM = 'xauth';

function unauthenticated(res: Response, message: string, invalidToken: boolean): AppError {
  // RFC 6750 §3: tell the caller how to authenticate, and whether the token it sent was the problem.
  res.setHeader(
    'WWW-Authenticate',
    invalidToken ? `Bearer realm="${REALM}", error="invalid_token", error_description="${message}"` : `Bearer realm="${REALM}"`,
  );
  return new AppError({ code: ErrorCodes.UNAUTHENTICATED, message, httpStatus: 401, retryable: false });
}

/** `Authorization: Bearer <service JWT>` or `X-API-Key: <clientId>.<secret>`; sets `req.principal`. */
export function authenticate(deps: {
  tokens: ServiceTokens;
  authenticator: ClientAuthenticator;
  clientStates: ClientStates;
  metrics: Metrics;
}): RequestHandler {
  const outcomes = deps.metrics.counter('xauth_gateway_authentications_total', 'Authentications on /v1 by method and outcome', ['method', 'outcome']);
  return async (req: Request, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    const apiKeyHeader = req.get('x-api-key');
    if (authorization !== undefined) {
      const token = parseBearer(authorization);
      if (!token) {
        outcomes.inc({ method: 'jwt', outcome: 'malformed' });
        return next(unauthenticated(res, 'Authorization must be "Bearer <token>"', false));
      }
      try {
        req.principal = deps.tokens.verify(token);
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) throw err;
        outcomes.inc({ method: 'jwt', outcome: 'invalid' });
        return next(unauthenticated(res, err.message, true));
      }
      // A map lookup (a query only for a client this replica has not seen yet): disabled, deleted
      // or narrowed clients lose their JWTs within one CLIENT_STATE_REFRESH_MS on every replica.
      const allowed = deps.clientStates.allows(req.principal.clientId, req.principal.tokenVersion ?? 0);
      if (!(allowed === true || (allowed !== false && (await allowed)))) {
        req.principal = undefined;
        outcomes.inc({ method: 'jwt', outcome: 'revoked' });
        return next(unauthenticated(res, 'token revoked: the client is disabled, deleted or lost a scope', true));
      }
      outcomes.inc({ method: 'jwt', outcome: 'ok' });
      return next();
    }
    if (apiKeyHeader !== undefined) {
      const credentials = parseApiKey(apiKeyHeader);
      const client = credentials ? await deps.authenticator.authenticate(credentials) : undefined;
      if (!client) {
        outcomes.inc({ method: 'api-key', outcome: 'invalid' });
        return next(unauthenticated(res, 'invalid API key', false));
      }
      req.principal = { ...client, via: 'api-key' };
      outcomes.inc({ method: 'api-key', outcome: 'ok' });
      return next();
    }
    outcomes.inc({ method: 'none', outcome: 'missing' });
    next(unauthenticated(res, 'authentication required: a Bearer service token or an X-API-Key', false));
  };
}

/** 403 unless the authenticated client holds `scope`. */
export function requireScope(scope: ServiceScope): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal) return next(new AppError({ code: ErrorCodes.UNAUTHENTICATED, message: 'authentication required', httpStatus: 401, retryable: false }));
    if (!hasScope(req.principal.scopes, scope))
      return next(new AppError({ code: ErrorCodes.FORBIDDEN, message: `requires scope ${scope}`, httpStatus: 403, retryable: false }));
    next();
  };
}
