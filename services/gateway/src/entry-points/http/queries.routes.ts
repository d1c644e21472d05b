import { Router } from 'express';
import { ErrorCodes, JobParams, TokenParams, TokenQuery } from '@xauth/contracts';
import { AppError, logContext, parseInput } from '@xauth/shared';
import type { ClientStates } from '../../domain/client-states.js';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import type { TokenReads } from '../../data-access/token-reads.client.js';
import { requireScope } from './auth.middleware.js';

/** Queries the orchestrator owns: validated here, answered there. */
export function queriesRoutes(deps: { orchestrator: InternalServiceClient; tokenReads: TokenReads; defaultApp: string; clientStates: ClientStates }): Router {
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
    const appName = app ?? deps.defaultApp;
    // A map look-up: a client limited to some apps (its `apps`) reads no other app's tokens.
    const allowed = deps.clientStates.allowsApp(req.principal!.clientId, appName);
    if (!(allowed === true || (allowed !== false && (await allowed)))) {
      throw new AppError({ code: ErrorCodes.APP_NOT_ALLOWED, message: `this client may not read tokens of app ${appName}`, httpStatus: 403, retryable: false });
    }
    res.json(await deps.tokenReads.read(accountId, appName));
  });
  return router;
}
