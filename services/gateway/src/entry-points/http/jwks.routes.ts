import { Router } from 'express';
import type { ServiceTokens } from '../../domain/service-token.js';

/** `GET /.well-known/jwks.json`: the public keys that verify service JWTs. */
export function jwksRoutes(deps: { tokens: ServiceTokens }): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.tokens.jwks());
  });
  return router;
}
