import { Router } from 'express';
import { CampaignListQuery, CampaignParams, InternalCampaignActionRequest, InternalCreateCampaignRequest } from '@xauth/contracts';
import { parseInput, requireInternalToken } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { changeCampaign, createCampaign, getCampaign, listCampaigns } from '../../domain/use-cases/campaigns.use-case.js';

/** Login campaigns on the internal API (the gateway routes `/v1/campaigns` here; `by` names its client). */
export function campaignsRoutes(deps: OrchestratorDeps, internalToken: string): Router {
  const router = Router();
  router.use('/internal/v1/campaigns', requireInternalToken(internalToken));
  router.post('/internal/v1/campaigns', async (req, res) => {
    res.status(201).json(await createCampaign(deps, parseInput(InternalCreateCampaignRequest, req.body, 'body')));
  });
  router.get('/internal/v1/campaigns', async (req, res) => {
    res.json({ items: await listCampaigns(deps, parseInput(CampaignListQuery, req.query, 'query')) });
  });
  router.get('/internal/v1/campaigns/:campaignId', async (req, res) => {
    res.json(await getCampaign(deps, parseInput(CampaignParams, req.params, 'path').campaignId));
  });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/internal/v1/campaigns/:campaignId/${action}`, async (req, res) => {
      const { campaignId } = parseInput(CampaignParams, req.params, 'path');
      res.json(await changeCampaign(deps, campaignId, action, parseInput(InternalCampaignActionRequest, req.body ?? {}, 'body')));
    });
  }
  return router;
}
