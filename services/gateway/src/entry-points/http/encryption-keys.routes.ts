import { Router, type Request } from 'express';
import { ReencryptRequest } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/**
 * Encryption keys at rest (scope `keys:admin`): re-encrypt the orchestrator's stored secrets under
 * its active key, one page per request, and count rows per key id. Answered by the orchestrator.
 */
export function encryptionKeysRoutes(deps: { orchestratorActions: InternalServiceClient }): Router {
  const router = Router();
  const ctx = (req: Request) => ({
    requestId: req.requestId,
    correlationId: logContext().correlationId ?? req.requestId,
    headers: { 'x-xauth-actor': req.principal!.clientId },
  });
  router.post('/v1/keys/encryption/reencrypt', requireScope('keys:admin'), async (req, res) => {
    const body = parseInput(ReencryptRequest, req.body ?? {}, 'body');
    res.json(await deps.orchestratorActions.post('/internal/v1/keys/encryption/reencrypt', body, ctx(req)));
  });
  router.get('/v1/keys/encryption/usage', requireScope('keys:admin'), async (req, res) => {
    res.json(await deps.orchestratorActions.get('/internal/v1/keys/encryption/usage', ctx(req)));
  });
  return router;
}
