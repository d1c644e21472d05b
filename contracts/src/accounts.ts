import { z } from 'zod';
import { AccountId, AppName, ErrorCode, ProfileId } from './messages.js';
import { JobStatus } from './rest.js';

/**
 * An account's token for one app, as an operator sees it: `active`; `expiring` (within the
 * refresher's REFRESH_AHEAD_MS); `expired` (past expiry and not refreshed, e.g. while paused);
 * `backing_off` (its last refresh failed, it waits); `outcome_unknown` (a refresh answer was lost);
 * `dead` (X refused it: a new login is needed); `none` (no token for that app).
 */
export const TOKEN_STATES = ['active', 'expiring', 'expired', 'backing_off', 'outcome_unknown', 'dead', 'none'] as const;
export const TokenState = z.enum(TOKEN_STATES);
export type TokenState = z.infer<typeof TokenState>;

/** `GET /v1/accounts`: a page in account order, narrowed by every given field (AND). */
export const AccountListQuery = z.strictObject({
  /** Accounts whose id starts with this (case-insensitive). */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,15}$/, 'must be the start of an X username')
    .optional(),
  /** Accounts with a token (for some app) in this state. */
  state: TokenState.optional(),
  /** Accounts whose last job ended with this code, or whose token's last refresh failed with it. */
  errorCode: ErrorCode.optional(),
  paused: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type AccountListQuery = z.infer<typeof AccountListQuery>;

export const AccountParams = z.strictObject({ accountId: AccountId });

const AccountTokenStateView = z.object({
  app: AppName,
  state: TokenState,
  expiresAt: z.string().nullable(),
  lastErrorCode: z.string().nullable(),
});
const LastJobView = z.object({
  jobId: z.uuid(),
  app: AppName,
  status: JobStatus,
  errorCode: z.string().nullable(),
  updatedAt: z.string(),
});

/** One account: its profiles, each configured app's token state, its last job, whether it is paused. */
export const AccountSummary = z.object({
  accountId: AccountId,
  profiles: z.array(z.object({ profileId: ProfileId, provider: z.string(), syncedAt: z.string() })),
  tokens: z.array(AccountTokenStateView),
  lastJob: LastJobView.nullable(),
  paused: z.boolean(),
  pausedBy: z.string().nullable(),
  pauseReason: z.string().nullable(),
  pausedAt: z.string().nullable(),
  /** When the profile sync last saw its GoLogin profile disappear (cleared when it comes back). */
  profileGoneAt: z.string().nullable(),
  /** When the profile-gone rule will offboard it, unless its profile comes back first. */
  offboardAt: z.string().nullable(),
});
export type AccountSummary = z.infer<typeof AccountSummary>;

/** `GET /v1/accounts` */
export const AccountPage = z.object({
  items: z.array(AccountSummary),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Over every account (not only the page): account+app pairs by token state, and paused accounts. */
  counts: z.object({ accounts: z.number().int(), paused: z.number().int(), byState: z.record(z.string(), z.number().int()) }),
});
export type AccountPage = z.infer<typeof AccountPage>;

/** One entry of an account's history: a refresh, a token found dead, a pause, a resume, an offboarding. */
export const AccountEventView = z.object({
  at: z.string(),
  kind: z.enum(['refreshed', 'token_dead', 'reauthorization_required', 'paused', 'resumed', 'profile_gone', 'profile_back', 'offboarded', 'authenticated']),
  app: z.string().nullable(),
  errorCode: z.string().nullable(),
  detail: z.string().nullable(),
});
/** `GET /v1/accounts/{accountId}`: the summary and its history (newest first, bounded). */
export const AccountDetail = z.object({
  account: AccountSummary,
  jobs: z.array(
    z.object({
      jobId: z.uuid(),
      app: AppName,
      status: JobStatus,
      attempt: z.number().int(),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  events: z.array(AccountEventView),
});
export type AccountDetail = z.infer<typeof AccountDetail>;

/** `POST /v1/accounts/{accountId}/pause|resume|offboard`: why (recorded in the account's history). */
export const AccountActionRequest = z.strictObject({ reason: z.string().trim().min(1).max(500) });
/** The orchestrator's internal form: plus who acts (the gateway's client id). */
export const InternalAccountActionRequest = AccountActionRequest.extend({ by: z.string().regex(/^[A-Za-z0-9_.:@-]{1,200}$/) });
export type InternalAccountActionRequest = z.infer<typeof InternalAccountActionRequest>;

export const AccountActionResult = z.object({
  accountId: AccountId,
  action: z.enum(['pause', 'resume', 'offboard']),
  /** false: it already was (paused, resumed). */
  changed: z.boolean(),
  /** Pause: the active jobs it ended with ACCOUNT_PAUSED. */
  jobsEnded: z.number().int().optional(),
  /** Offboard: the apps whose tokens X confirmed revoked (access and refresh) and that were deleted. */
  revokedApps: z.array(AppName).optional(),
});
export type AccountActionResult = z.infer<typeof AccountActionResult>;
