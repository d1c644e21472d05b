import { z } from 'zod';
import { AccountId, AppName, ErrorCode, Scopes } from './messages.js';

/**
 * Which accounts a campaign asks logins for, resolved once when it is created: every account
 * (a profile synced from GoLogin) without an active, unexpired token for the app; an explicit list;
 * or the accounts whose latest job for the app ended failed, dead-lettered or expired with an error code.
 */
export const CampaignSelection = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('without-token') }),
  z.strictObject({ kind: z.literal('accounts'), accountIds: z.array(AccountId).min(1).max(50_000) }),
  z.strictObject({ kind: z.literal('error-code'), errorCode: ErrorCode }),
]);

/** `POST /v1/campaigns`: ask for logins by selection, paced. */
export const CreateCampaignRequest = z.strictObject({
  selection: CampaignSelection,
  /** @defaultValue the orchestrator's DEFAULT_APP */
  app: AppName.optional(),
  scopes: Scopes.optional(),
  /** Authorize even accounts that hold a valid token (each opens a browser). @defaultValue false */
  force: z.boolean().default(false),
  /** Logins requested per second. @defaultValue and ceiling: the orchestrator's CAMPAIGN_RATE_PER_SECOND */
  ratePerSecond: z.number().positive().max(10_000).optional(),
  reason: z.string().trim().min(1).max(500),
});
/** The orchestrator's internal form: the public request plus who asks (the gateway's client id). */
export const InternalCreateCampaignRequest = CreateCampaignRequest.extend({ by: z.string().regex(/^[A-Za-z0-9_.:@-]{1,200}$/) });

export const CampaignParams = z.object({ campaignId: z.uuid() });
export const CampaignActionRequest = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export const InternalCampaignActionRequest = CampaignActionRequest.extend({ by: InternalCreateCampaignRequest.shape.by });

export const CampaignStatus = z.enum(['running', 'paused', 'cancelled', 'finished']);

/**
 * Where a campaign's items stand, computed from the login requests and jobs their requestIds lead to:
 * `pending` not requested yet; `queued` requested, no browser started yet; `running` a browser works
 * on it; `succeeded` (a cached answer counts); `failed` by error code; `cancelled` never requested
 * because the campaign was cancelled. The six add up to `total`.
 */
export const CampaignProgress = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  failedByCode: z.record(z.string(), z.number().int()),
});

export const CampaignView = z.object({
  campaignId: z.uuid(),
  status: CampaignStatus,
  app: AppName,
  selection: CampaignSelection,
  force: z.boolean(),
  ratePerSecond: z.number(),
  createdBy: z.string(),
  reason: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: CampaignProgress,
});
export const CampaignListQuery = z.object({
  status: CampaignStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const CampaignList = z.object({ items: z.array(CampaignView) });

export type CampaignSelection = z.infer<typeof CampaignSelection>;
export type CreateCampaignRequest = z.infer<typeof CreateCampaignRequest>;
export type InternalCreateCampaignRequest = z.infer<typeof InternalCreateCampaignRequest>;
export type CampaignStatus = z.infer<typeof CampaignStatus>;
export type CampaignProgress = z.infer<typeof CampaignProgress>;
export type CampaignView = z.infer<typeof CampaignView>;
export type CampaignList = z.infer<typeof CampaignList>;
