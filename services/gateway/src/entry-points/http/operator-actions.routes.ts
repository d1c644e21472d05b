import { Router, type Request } from 'express';
import { JobParams, ReopenJobRequest, RetryFailedLoginsRequest } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/**
 * Operator actions on jobs the orchestrator owns (scope `dlq:admin`, like replaying their dead
 * letters): reopen one job, or request failed logins again by filter. The caller's client id is
 * passed as `by` and audited there. `orchestrator` here is a client with the longer
 * ORCHESTRATOR_ACTIONS_TIMEOUT_MS: a paced retry of many logins takes a while.
 */
export function operatorActionsRoutes(deps: { orchestratorActions: InternalServiceClient }): Router {
  const router = Router();
  const ctx = (req: Request) => ({ requestId: req.requestId, correlationId: logContext().correlationId ?? req.requestId });

  router.post('/v1/jobs/:jobId/reopen', requireScope('dlq:admin'), async (req, res) => {
    const { jobId } = parseInput(JobParams, req.params, 'path');
    const body = parseInput(ReopenJobRequest, req.body ?? {}, 'body');
    res.json(await deps.orchestratorActions.post(`/internal/v1/jobs/${jobId}/reopen`, { ...body, by: req.principal!.clientId }, ctx(req)));
  });
  router.post('/v1/logins/retry-failed', requireScope('dlq:admin'), async (req, res) => {
    const body = parseInput(RetryFailedLoginsRequest, req.body ?? {}, 'body');
    res.json(await deps.orchestratorActions.post('/internal/v1/logins/retry-failed', { ...body, by: req.principal!.clientId }, ctx(req)));
  });
  return router;
}
