import { Router, type RequestHandler } from 'express';
import { ClientCredentialsRequest } from '@xauth/contracts';
import { ValidationError, parseInput } from '@xauth/shared';
import type { ClientAuthenticator } from '../../domain/client-authenticator.js';
import { issueClientToken } from '../../domain/client-credentials.use-case.js';
import { tokenRequestCredentials } from '../../domain/credentials.rule.js';
import type { ServiceTokens } from '../../domain/service-token.js';

/**
 * `POST /v1/oauth/token`: client-credentials, JSON or form body, client from the body or HTTP Basic.
 * `limit` (the per-IP and per-client budget) runs first, before the secret's scrypt.
 */
export function tokenRoutes(deps: { authenticator: ClientAuthenticator; tokens: ServiceTokens; limit: RequestHandler }): Router {
  const router = Router();
  router.post('/v1/oauth/token', deps.limit, async (req, res) => {
    // RFC 6749 §5.1: token responses, errors included, are never cached.
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    if (!req.is(['application/json', 'application/x-www-form-urlencoded'])) {
      throw new ValidationError({ message: 'Content-Type must be application/json or application/x-www-form-urlencoded' });
    }
    const body = parseInput(ClientCredentialsRequest, req.body ?? {}, 'token request');
    const { credentials, viaBasic } = tokenRequestCredentials(req.get('authorization'), body);
    // RFC 6749 §5.2: a failed Basic authentication answers with the scheme to use.
    if (viaBasic) res.set('WWW-Authenticate', 'Basic realm="xauth"');
    const grant = await issueClientToken({ credentials, scope: body.scope }, deps);
    res.removeHeader('WWW-Authenticate');
    res.json(grant);
  });
  return router;
}
