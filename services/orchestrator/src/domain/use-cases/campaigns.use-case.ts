import { randomUUID } from 'node:crypto';
import { ErrorCodes, type CampaignStatus, type CampaignView, type InternalCreateCampaignRequest } from '@xauth/contracts';
import { AppError, NotFoundError } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import type { CampaignRecord } from '../model.js';

type Action = 'pause' | 'resume' | 'cancel';
/** From where each action may move a campaign, and to where. */
const TRANSITIONS: Record<Action, { from: CampaignStatus[]; to: CampaignStatus }> = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['running', 'paused'], to: 'cancelled' },
};

/** A campaign: its selection resolved to items now, requested by the runner at the campaign's pace. */
export async function createCampaign(deps: OrchestratorDeps, req: InternalCreateCampaignRequest): Promise<CampaignView> {
  const app = req.app ?? deps.settings.defaultApp;
  if (!deps.apps.some((a) => a.name === app))
    throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `unknown app "${app}"`, retryable: false, httpStatus: 400 });
  const ceiling = deps.settings.campaigns.ratePerSecond;
  const campaignId = randomUUID();
  const total = await deps.campaigns.create(
    {
      campaignId,
      app,
      scopes: req.scopes ?? null,
      force: req.force,
      selection: req.selection,
      ratePerSecond: Math.min(req.ratePerSecond ?? ceiling, ceiling),
      createdBy: req.by,
      reason: req.reason,
    },
    { actor: req.by, reason: req.reason },
  );
  deps.logger.info('login campaign created', { campaignId, app, selection: req.selection.kind, total, actor: req.by });
  return getCampaign(deps, campaignId);
}

export async function getCampaign(deps: OrchestratorDeps, campaignId: string): Promise<CampaignView> {
  const c = await deps.campaigns.find(campaignId);
  if (!c) throw new NotFoundError({ code: ErrorCodes.UNKNOWN_CAMPAIGN, message: `no campaign ${campaignId}` });
  return (await withProgress(deps, [c]))[0]!;
}

export async function listCampaigns(deps: OrchestratorDeps, opts: { status?: CampaignStatus; limit: number }): Promise<CampaignView[]> {
  return withProgress(deps, await deps.campaigns.list(opts));
}

/** Pause, resume or cancel, audited; a campaign that is elsewhere is refused with CAMPAIGN_STATE_CONFLICT. */
export async function changeCampaign(deps: OrchestratorDeps, campaignId: string, action: Action, who: { by: string; reason?: string }): Promise<CampaignView> {
  const t = TRANSITIONS[action];
  const moved = await deps.campaigns.transition(campaignId, t.from, t.to, { action: `campaign.${action}`, actor: who.by, reason: who.reason ?? action });
  if (!moved) {
    const c = await deps.campaigns.find(campaignId);
    if (!c) throw new NotFoundError({ code: ErrorCodes.UNKNOWN_CAMPAIGN, message: `no campaign ${campaignId}` });
    throw new AppError({
      code: ErrorCodes.CAMPAIGN_STATE_CONFLICT,
      message: `campaign ${campaignId} is ${c.status}; ${action} needs it ${t.from.join(' or ')}`,
      retryable: false,
      httpStatus: 409,
    });
  }
  deps.logger.info(`login campaign ${action}`, { campaignId, actor: who.by });
  return getCampaign(deps, campaignId);
}

async function withProgress(deps: OrchestratorDeps, campaigns: CampaignRecord[]): Promise<CampaignView[]> {
  const progress = await deps.campaigns.progress(campaigns.map((c) => c.campaignId));
  return campaigns.map((c) => ({
    campaignId: c.campaignId,
    status: c.status,
    app: c.app,
    selection: c.selection,
    force: c.force,
    ratePerSecond: c.ratePerSecond,
    createdBy: c.createdBy,
    reason: c.reason,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    progress: progress.get(c.campaignId)!,
  }));
}

/**
 * The runner's round: each running campaign takes steps (one transaction per batch) while its pace
 * and in-flight bound allow. Replicas cooperate through the campaign's row lock; the pace is kept in
 * the row, so two replicas together still request at the campaign's rate.
 */
export async function runCampaigns(deps: OrchestratorDeps): Promise<number> {
  const s = deps.settings.campaigns;
  const opts = { batch: s.batch, maxInFlight: s.maxInFlight, burstSeconds: Math.max(1, s.intervalMs / 1000), defaultScopes: deps.settings.defaultScopes };
  let requested = 0;
  for (const campaignId of await deps.campaigns.runningIds()) {
    for (let steps = 0; steps < 1_000; steps++) {
      const step = await deps.campaigns.step(campaignId, opts);
      requested += step?.requested ?? 0;
      if (step?.finished) deps.logger.info('login campaign finished', { campaignId });
      if (!step?.budgetLeft) break;
    }
  }
  return requested;
}
