import { Router } from 'express';
import { JobParams, TokenParams, TokenQuery } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/** Queries the orchestrator owns: validated here, answered there. */
export function queriesRoutes(deps: { orchestrator: InternalServiceClient; defaultApp: string }): Router {
  const router = Router();
  const ctx = (requestId: string) => ({ requestId, correlationId: logContext().correlationId ?? requestId });

  router.get('/v1/jobs/:jobId', requireScope('jobs:read'), async (req, res) => {
    const { jobId } = parseInput(JobParams, req.params, 'path');
    res.json(await deps.orchestrator.get(`/internal/v1/jobs/${jobId}`, ctx(req.requestId)));
  });

  router.get('/v1/accounts/:accountId/token', requireScope('tokens:read'), async (req, res) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    const { accountId } = parseInput(TokenParams, req.params, 'path');
    const { app } = parseInput(TokenQuery, req.query, 'query');
    const query = new URLSearchParams({ app: app ?? deps.defaultApp });
    res.json(await deps.orchestrator.get(`/internal/v1/accounts/${accountId}/token?${query}`, ctx(req.requestId)));
  });
  return router;
}
