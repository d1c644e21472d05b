import { Router, type Request } from 'express';
import { AccountActionRequest, AccountListQuery, AccountParams } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/**
 * Accounts (scope `accounts:admin`), owned by the orchestrator: list, show, pause, resume,
 * offboard. The caller's client id is passed as `by` and recorded in the account's history.
 * Actions use the orchestrator client with the longer timeout: an offboarding calls X.
 */
export function accountsRoutes(deps: { orchestrator: InternalServiceClient; orchestratorActions: InternalServiceClient }): Router {
  const router = Router();
  const ctx = (req: Request) => ({ requestId: req.requestId, correlationId: logContext().correlationId ?? req.requestId });
  const scope = requireScope('accounts:admin');

  router.get('/v1/accounts', scope, async (req, res) => {
    const q = parseInput(AccountListQuery, req.query, 'query');
    const query = new URLSearchParams(
      Object.entries(q)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    res.json(await deps.orchestrator.get(`/internal/v1/accounts?${query}`, ctx(req)));
  });
  router.get('/v1/accounts/:accountId', scope, async (req, res) => {
    const { accountId } = parseInput(AccountParams, req.params, 'path');
    res.json(await deps.orchestrator.get(`/internal/v1/accounts/${accountId}`, ctx(req)));
  });
  for (const action of ['pause', 'resume', 'offboard'] as const) {
    router.post(`/v1/accounts/:accountId/${action}`, scope, async (req, res) => {
      const { accountId } = parseInput(AccountParams, req.params, 'path');
      const body = parseInput(AccountActionRequest, req.body ?? {}, 'body');
      res.json(await deps.orchestratorActions.post(`/internal/v1/accounts/${accountId}/${action}`, { ...body, by: req.principal!.clientId }, ctx(req)));
    });
  }
  return router;
}
