import { Router } from 'express';
import type { SigningKeys } from '../../domain/signing-keys.use-case.js';
import { requireScope } from './auth.middleware.js';

/** The JWT signing keys (scope `clients:admin`: they are what every client's tokens stand on). */
export function signingKeysRoutes(deps: { signingKeys: SigningKeys }): Router {
  const router = Router();
  router.get('/v1/keys/signing', requireScope('clients:admin'), async (_req, res) => {
    res.json(await deps.signingKeys.list());
  });
  router.post('/v1/keys/signing/rotate', requireScope('clients:admin'), async (_req, res) => {
    res.json(await deps.signingKeys.rotate());
  });
  return router;
}
