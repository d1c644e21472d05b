import { Router } from 'express';
import type { ServiceTokens } from '../../domain/service-token.js';

/** `GET /.well-known/jwks.json`: the public keys that verify service JWTs, a rotated key's next one included. */
export function jwksRoutes(deps: { tokens: ServiceTokens; jwksMaxAgeSeconds?: number }): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', `public, max-age=${deps.jwksMaxAgeSeconds ?? 300}`).json(deps.tokens.jwks());
  });
  return router;
}
