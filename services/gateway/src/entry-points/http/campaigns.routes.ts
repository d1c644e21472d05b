import { Router, type Request } from 'express';
import { CampaignActionRequest, CampaignListQuery, CampaignParams, CreateCampaignRequest } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/**
 * Login campaigns, owned by the orchestrator (scope `logins:write`: a campaign is a paced way to ask
 * for the logins the scope already allows one by one). The caller's client id is passed as `by`
 * and audited there.
 */
export function campaignsRoutes(deps: { orchestratorActions: InternalServiceClient }): Router {
  const router = Router();
  const ctx = (req: Request) => ({ requestId: req.requestId, correlationId: logContext().correlationId ?? req.requestId });
  const scope = requireScope('logins:write');

  router.post('/v1/campaigns', scope, async (req, res) => {
    const body = parseInput(CreateCampaignRequest, req.body ?? {}, 'body');
    res.status(201).json(await deps.orchestratorActions.post('/internal/v1/campaigns', { ...body, by: req.principal!.clientId }, ctx(req)));
  });
  router.get('/v1/campaigns', scope, async (req, res) => {
    const query = parseInput(CampaignListQuery, req.query, 'query');
    const q = new URLSearchParams({ limit: String(query.limit), ...(query.status ? { status: query.status } : {}) });
    res.json(await deps.orchestratorActions.get(`/internal/v1/campaigns?${q}`, ctx(req)));
  });
  router.get('/v1/campaigns/:campaignId', scope, async (req, res) => {
    const { campaignId } = parseInput(CampaignParams, req.params, 'path');
    res.json(await deps.orchestratorActions.get(`/internal/v1/campaigns/${campaignId}`, ctx(req)));
  });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/v1/campaigns/:campaignId/${action}`, scope, async (req, res) => {
      const { campaignId } = parseInput(CampaignParams, req.params, 'path');
      const body = parseInput(CampaignActionRequest, req.body ?? {}, 'body');
      res.json(await deps.orchestratorActions.post(`/internal/v1/campaigns/${campaignId}/${action}`, { ...body, by: req.principal!.clientId }, ctx(req)));
    });
  }
  return router;
}
