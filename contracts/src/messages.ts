import { z } from 'zod';

/** An X username as X accepts it: 1-15 letters, digits or underscores. */
export const AccountId = z.string().regex(/^[A-Za-z0-9_]{1,15}$/, 'must be an X username (1-15 letters, digits, underscores)');
/** A GoLogin profile id (24 hex chars) or a local profile directory name. */
export const ProfileId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');
export const AppName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase app name');
/** Space-separated X OAuth 2.0 scopes. */
export const Scopes = z
  .string()
  .regex(/^[a-z.]+( [a-z.]+)*$/, 'must be space-separated scopes')
  .max(500);
export const ErrorCode = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/);
const IsoDate = z.iso.datetime({ offset: true });
const Text = z.string().max(2000);

/** Command: authorize one X account for one of our X apps. `requestId` is the idempotency key. */
export const UserLoginRequested = z.strictObject({
  requestId: z.uuid(),
  accountId: AccountId,
  app: AppName.optional(),
  scopes: Scopes.optional(),
  profileId: ProfileId.optional(),
  force: z.boolean().optional(),
  replyTo: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/)
    .optional(),
});

export const AuthorizationJobRequested = z.strictObject({
  jobId: z.uuid(),
  accountId: AccountId,
  profileId: ProfileId,
  authorizeUrl: z.url().max(4000),
  redirectUri: z.url().max(2000),
  deadline: IsoDate,
  attempt: z.number().int().min(1),
});

export const AuthorizationJobStarted = z.strictObject({
  jobId: z.uuid(),
  profileId: ProfileId,
  workerId: z.string().max(200),
  startedAt: IsoDate,
});

/** Carries the one-time authorization code: it is a secret and is redacted from logs and dead letters. */
export const AuthorizationConsentCaptured = z.strictObject({
  jobId: z.uuid(),
  code: z.string().min(1).max(2000),
  state: z.string().min(1).max(500),
});

/**
 * A browser attempt failed. `retryable: true` means the worker will try the job again (the event
 * only records the error); `false` means this job is over and the orchestrator fails it.
 */
export const AuthorizationAttemptFailed = z.strictObject({
  jobId: z.uuid(),
  errorCode: ErrorCode,
  message: Text,
  retryable: z.boolean(),
  /** With `retryable: false`: a transient error ran out of attempts and the job was dead-lettered, rather than needing a person. */
  deadLettered: z.boolean().optional(),
  /** Names of what the attempt kept for the operator (`<jobId>/<attempt>/<file>`). */
  artifacts: z.array(z.string().max(500)).max(20).optional(),
});

export const UserAuthenticated = z.strictObject({
  requestId: z.uuid(),
  jobId: z.uuid().nullable(),
  accountId: AccountId,
  xUserId: z.string().regex(/^\d{1,25}$/),
  app: AppName,
  scopes: Scopes,
  expiresAt: IsoDate,
  cached: z.boolean(),
});

export const UserAuthenticationFailed = z.strictObject({
  requestId: z.uuid(),
  jobId: z.uuid().nullable(),
  accountId: AccountId,
  errorCode: ErrorCode,
  message: Text,
  attempts: z.number().int().min(0),
});

export const TokenRefreshRequested = z.strictObject({ accountId: AccountId, app: AppName.optional() });
export const TokenRefreshed = z.strictObject({ accountId: AccountId, app: AppName, expiresAt: IsoDate });
export const TokenRefreshFailed = z.strictObject({ accountId: AccountId, app: AppName, errorCode: ErrorCode });
export const UserReauthorizationRequired = z.strictObject({ accountId: AccountId, app: AppName, reason: Text });

/** The account is gone from xauth: its tokens were revoked at X (both, X confirmed) and deleted. */
export const AccountOffboarded = z.strictObject({
  accountId: AccountId,
  /** The apps whose tokens were revoked and deleted (empty: it held none). */
  apps: z.array(AppName),
  /** Who offboarded it: an operator's client id, or `system:profile-gone` (its GoLogin profile disappeared past the grace period). */
  by: z.string().max(200),
  reason: Text,
  offboardedAt: IsoDate,
});

export type UserLoginRequested = z.infer<typeof UserLoginRequested>;
export type AuthorizationJobRequested = z.infer<typeof AuthorizationJobRequested>;
export type AuthorizationJobStarted = z.infer<typeof AuthorizationJobStarted>;
export type AuthorizationConsentCaptured = z.infer<typeof AuthorizationConsentCaptured>;
export type AuthorizationAttemptFailed = z.infer<typeof AuthorizationAttemptFailed>;
export type UserAuthenticated = z.infer<typeof UserAuthenticated>;
export type UserAuthenticationFailed = z.infer<typeof UserAuthenticationFailed>;
export type TokenRefreshRequested = z.infer<typeof TokenRefreshRequested>;
export type TokenRefreshed = z.infer<typeof TokenRefreshed>;
export type TokenRefreshFailed = z.infer<typeof TokenRefreshFailed>;
export type UserReauthorizationRequired = z.infer<typeof UserReauthorizationRequired>;
export type AccountOffboarded = z.infer<typeof AccountOffboarded>;
