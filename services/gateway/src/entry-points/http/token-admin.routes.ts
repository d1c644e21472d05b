import { Router } from 'express';
import { AppParams, RecheckTokensRequest } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/**
 * Token repair the orchestrator owns (scope `dlq:admin`, the operator's "bring failed work back"
 * scope): validated here, answered there; the action names its client.
 */
export function tokenAdminRoutes(deps: { orchestratorActions: InternalServiceClient }): Router {
  const router = Router();
  router.post('/v1/apps/:app/tokens/recheck', requireScope('dlq:admin'), async (req, res) => {
    const { app } = parseInput(AppParams, req.params, 'path');
    const body = parseInput(RecheckTokensRequest, req.body ?? {}, 'body');
    const ctx = { requestId: req.requestId, correlationId: logContext().correlationId ?? req.requestId, headers: { 'x-xauth-actor': req.principal!.clientId } };
    res.json(await deps.orchestratorActions.post(`/internal/v1/apps/${app}/tokens/recheck`, body, ctx));
  });
  return router;
}
