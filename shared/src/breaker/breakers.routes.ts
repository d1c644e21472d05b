import { Router } from 'express';
import { requireInternalToken } from '../http/app.js';
import type { CircuitBreakers } from './circuit-breakers.js';

export const BREAKERS_PATH = '/internal/v1/breakers';

/** `GET /internal/v1/breakers`: the service's breakers as the shared state says now (for the gateway's `GET /v1/breakers`). */
export function breakersRoutes(breakers: CircuitBreakers, internalToken: string): Router {
  const router = Router();
  router.get(BREAKERS_PATH, requireInternalToken(internalToken), async (_req, res) => {
    res.set('cache-control', 'no-store').json({ breakers: await breakers.list() });
  });
  return router;
}
