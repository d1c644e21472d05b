import { z } from 'zod';
import { AccountId, AppName, ErrorCode, ProfileId, Scopes } from './messages.js';

/** Service scopes a client can hold. */
export const SERVICE_SCOPES = [
  'logins:write',
  'tokens:read',
  'jobs:read',
  'artifacts:read',
  'dlq:admin',
  'accounts:admin',
  'keys:admin',
  'clients:admin',
  'audit:read',
] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

/** `POST /v1/oauth/token` (client-credentials; JSON or form, or HTTP Basic for the client). */
export const ClientCredentialsRequest = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1).max(200).optional(),
  client_secret: z.string().min(1).max(500).optional(),
  scope: z.string().max(500).optional(),
});
export const ClientCredentialsResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

/** `POST /v1/logins`: the body of `user.login.requested`, `requestId` optional (generated when absent). */
export const CreateLoginRequest = z.strictObject({
  requestId: z.uuid().optional(),
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
export const CreateLoginResponse = z.object({ requestId: z.uuid(), status: z.literal('accepted') });

/** Files a failed browser attempt keeps for the operator, and what each is served as. */
export const ARTIFACT_FILES = {
  'screenshot.png': 'image/png',
  'page.html': 'text/html; charset=utf-8',
  'trace.zip': 'application/zip',
} as const;
export type ArtifactFile = keyof typeof ARTIFACT_FILES;

/**
 * An artifact's name, `<jobId>/<attempt>/<file>`: a lowercase UUID, a positive attempt and one of
 * {@link ARTIFACT_FILES}. Nothing else is a name, so a name can never climb out of its folder.
 */
export const ARTIFACT_NAME_PATTERN =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([1-9][0-9]{0,2})\/(screenshot\.png|page\.html|trace\.zip)$/;
export const ArtifactName = z.string().max(200).regex(ARTIFACT_NAME_PATTERN, 'must be <jobId>/<attempt>/<screenshot.png|page.html|trace.zip>');
/** The path parameters of an artifact download. */
export const ArtifactParams = z.strictObject({
  jobId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID'),
  attempt: z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be an attempt number (1-999)'),
  file: z.enum(Object.keys(ARTIFACT_FILES) as [ArtifactFile, ...ArtifactFile[]]),
});
export type ArtifactParams = z.infer<typeof ArtifactParams>;

/** Splits a valid artifact name into its parts; undefined for anything else. */
export function parseArtifactName(name: string): { jobId: string; attempt: number; file: ArtifactFile } | undefined {
  const m = ARTIFACT_NAME_PATTERN.exec(name);
  return m ? { jobId: m[1]!, attempt: Number(m[2]), file: m[3] as ArtifactFile } : undefined;
}

/** Where the gateway serves an artifact: `GET /v1/jobs/{jobId}/artifacts/{attempt}/{file}` (scope `artifacts:read`). */
export function artifactHref(name: string): string | undefined {
  const parts = parseArtifactName(name);
  return parts && `/v1/jobs/${parts.jobId}/artifacts/${parts.attempt}/${parts.file}`;
}

/** One artifact of a job, as `GET /v1/jobs/{jobId}` lists it. */
export const ArtifactLink = z.object({
  name: ArtifactName,
  /** Download path on the gateway, relative to its base URL. */
  href: z.string(),
  contentType: z.string(),
});
export type ArtifactLink = z.infer<typeof ArtifactLink>;

/** Path and query parameters of the gateway's routes. */
export const JobParams = z.object({ jobId: z.uuid() });
export const TokenParams = z.object({ accountId: AccountId });
export const TokenQuery = z.object({ app: AppName.optional() });
export const DeadLetterIdParams = z.object({ id: z.uuid() });

export const JobStatus = z.enum(['queued', 'dispatched', 'running', 'consent_captured', 'succeeded', 'failed', 'dead_lettered', 'expired']);
export const JobView = z.object({
  jobId: z.uuid(),
  accountId: AccountId,
  app: AppName,
  profileId: ProfileId,
  status: JobStatus,
  attempt: z.number().int(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** What the last failed browser attempt kept for the operator (screenshot, HTML, Playwright trace), while retention keeps it. */
  artifacts: z.array(ArtifactLink),
  deadline: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /v1/accounts/{accountId}/token` */
export const AccountTokenView = z.object({
  accessToken: z.string(),
  tokenType: z.literal('bearer'),
  scopes: z.string(),
  expiresAt: z.string(),
});

/** Every error response body. */
export const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  requestId: z.string(),
  details: z.unknown().optional(),
});

export type ClientCredentialsRequest = z.infer<typeof ClientCredentialsRequest>;
export type CreateLoginRequest = z.infer<typeof CreateLoginRequest>;
export type JobStatus = z.infer<typeof JobStatus>;
export type JobView = z.infer<typeof JobView>;
export type AccountTokenView = z.infer<typeof AccountTokenView>;
export type ErrorBody = z.infer<typeof ErrorBody>;

/** What became of a stored dead letter. */
export const DeadLetterStatus = z.enum(['new', 'replayed', 'discarded']);

/** Which dead letters: every field narrows (AND); times are ISO 8601 and bound `lastFailureAt`. */
export const DeadLetterFilter = z.strictObject({
  queue: z.string().min(1).max(255).optional(),
  routingKey: z.string().min(1).max(255).optional(),
  errorCode: ErrorCode.optional(),
  status: DeadLetterStatus.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/** `GET /v1/dead-letters`: the filter plus a page (newest first). */
export const DeadLetterListQuery = DeadLetterFilter.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** One stored dead letter; secrets in its body were redacted before it was dead-lettered. */
export const DeadLetterView = z.object({
  id: z.uuid(),
  messageId: z.string(),
  status: DeadLetterStatus,
  originalExchange: z.string().nullable(),
  routingKey: z.string(),
  queue: z.string().nullable(),
  service: z.string().nullable(),
  errorCode: z.string(),
  errorMessage: z.string().nullable(),
  attempts: z.number().int(),
  firstFailureAt: z.string().nullable(),
  lastFailureAt: z.string(),
  replayCount: z.number().int(),
  receivedAt: z.string(),
  updatedAt: z.string(),
  /** The body parsed as JSON, or its UTF-8 text when it is not JSON. */
  body: z.unknown(),
  properties: z.record(z.string(), z.unknown()),
  headers: z.record(z.string(), z.unknown()),
  /** Why a replay cannot do this letter's work (its secrets were redacted); null when it can. A job letter's replay also asks the orchestrator (see `JOB_NOT_REOPENABLE`). */
  notReplayable: z.string().nullable(),
});
export const DeadLetterPage = z.object({
  items: z.array(DeadLetterView),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** `GET /v1/dead-letters/counts`: how many match the filter, grouped by error code and by queue. */
export const DeadLetterCounts = z.object({
  total: z.number().int(),
  byErrorCode: z.array(z.object({ errorCode: z.string(), count: z.number().int() })),
  byQueue: z.array(z.object({ queue: z.string().nullable(), count: z.number().int() })),
});

/** One action on dead letters, as recorded: who (client id), when, why. */
export const DeadLetterActionView = z.object({
  action: z.enum(['replay', 'discard']),
  actor: z.string(),
  reason: z.string(),
  at: z.string(),
  replayMessageId: z.string().nullable(),
});

/** Replay or discard a selection: `ids` or a `filter` (every match), with a recorded reason. */
const Selection = {
  ids: z.array(z.uuid()).min(1).max(1_000).optional(),
  filter: DeadLetterFilter.optional(),
  reason: z.string().trim().min(1).max(500),
  /** Run every check of the real action and report per letter what it would do; change nothing. */
  dryRun: z.boolean().default(false),
};
const oneSelection = (v: { ids?: unknown; filter?: unknown }) => (v.ids === undefined) !== (v.filter === undefined);
const oneSelectionMessage = { message: 'give exactly one of ids or filter' };

/** `POST /v1/dead-letters/replay` */
export const ReplayDeadLettersRequest = z
  .strictObject({
    ...Selection,
    /** Messages per second. @defaultValue the office's REPLAY_DEFAULT_RATE */
    rate: z.number().positive().max(10_000).optional(),
  })
  .refine(oneSelection, oneSelectionMessage);
/** `POST /v1/dead-letters/discard` */
export const DiscardDeadLettersRequest = z.strictObject(Selection).refine(oneSelection, oneSelectionMessage);
/** `POST /v1/dead-letters/{id}/replay` and `/discard` */
export const DeadLetterActionRequest = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** Outcome of a replay or discard: what matched, what was done, what was refused and why. */
export const DeadLetterActionResult = z.object({
  dryRun: z.boolean(),
  /** How many the selection matched in all. */
  matched: z.number().int(),
  /** More matched than one request acts on (`REPLAY_BATCH_LIMIT`): run it again for the rest. */
  more: z.boolean(),
  /** What was done (empty in a dry run). */
  done: z.array(z.object({ id: z.uuid(), replayMessageId: z.string().optional(), reopenedJobId: z.uuid().optional() })),
  /** What was refused, or in a dry run what would be, with the code and reason the real action gives. */
  refused: z.array(z.object({ id: z.uuid(), code: z.string(), message: z.string() })),
  /** Dry run only: what the real action would do, found by the same checks (empty otherwise). */
  wouldDo: z.array(z.object({ id: z.uuid(), reopensJobId: z.uuid().optional() })).default([]),
});

/** `POST /v1/jobs/{jobId}/reopen`: run a failed, dead-lettered or expired job again (fresh deadline, attempt 1). */
export const ReopenJobRequest = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** Run the same checks and report, change nothing. */
  dryRun: z.boolean().default(false),
});
/** The orchestrator's internal reopen: the public request plus who acts and, from the dead-letter office, the letter replayed. */
export const InternalReopenJobRequest = ReopenJobRequest.extend({
  by: z.string().regex(/^[A-Za-z0-9_.:@-]{1,200}$/),
  replayOf: z.string().min(1).max(200).optional(),
});
export const ReopenJobResult = z.object({
  jobId: z.uuid(),
  dryRun: z.boolean(),
  /** true: reopened (status dispatched, attempt 1); in a dry run: it would be. */
  reopened: z.boolean(),
  /** The login requests joined to the job that will be answered again when it ends. */
  requests: z.number().int(),
  /** The fresh `authorization.job.requested` messageId (not in a dry run). */
  messageId: z.string().optional(),
  deadline: z.string().optional(),
});

/** Which failed logins to request again: every field narrows (AND); times bound when the job ended. */
export const FailedLoginFilter = z.strictObject({
  errorCode: ErrorCode.optional(),
  accountId: AccountId.optional(),
  app: AppName.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
/** `POST /v1/logins/retry-failed`: request the matching failed logins again (each account+app's latest job, reopened). */
export const RetryFailedLoginsRequest = z.strictObject({
  filter: FailedLoginFilter,
  reason: z.string().trim().min(1).max(500),
  dryRun: z.boolean().default(false),
});
/** The orchestrator's internal form: the public request plus who acts (the gateway's client id). */
/** Internal: the gateway's token reads of one moment, answered together (one query, one hop). */
export const INTERNAL_TOKEN_READS_MAX = 200;
export const InternalTokenReadsRequest = z.object({
  reads: z
    .array(z.object({ accountId: AccountId, app: AppName }))
    .min(1)
    .max(INTERNAL_TOKEN_READS_MAX),
});
export const InternalRetryFailedLoginsRequest = RetryFailedLoginsRequest.extend({ by: InternalReopenJobRequest.shape.by });
const RetriedLogin = z.object({ jobId: z.uuid(), accountId: z.string(), app: z.string(), errorCode: z.string().nullable() });
export const RetryFailedLoginsResult = z.object({
  dryRun: z.boolean(),
  /** How many accounts' latest jobs matched in all. */
  matched: z.number().int(),
  /** More matched than one request acts on (`RELOGIN_BATCH_LIMIT`): run it again for the rest. */
  more: z.boolean(),
  /** Requested again (in a dry run: would be). */
  requested: z.array(RetriedLogin),
  refused: z.array(RetriedLogin.extend({ code: z.string(), message: z.string() })),
  /** The audit row (`operator_actions.id`); null for a dry run. */
  actionId: z.string().nullable(),
});

export type DeadLetterStatus = z.infer<typeof DeadLetterStatus>;
export type DeadLetterFilter = z.infer<typeof DeadLetterFilter>;
export type DeadLetterListQuery = z.infer<typeof DeadLetterListQuery>;
export type DeadLetterView = z.infer<typeof DeadLetterView>;
export type DeadLetterPage = z.infer<typeof DeadLetterPage>;
export type DeadLetterCounts = z.infer<typeof DeadLetterCounts>;
export type DeadLetterActionView = z.infer<typeof DeadLetterActionView>;
export type ReplayDeadLettersRequest = z.infer<typeof ReplayDeadLettersRequest>;
export type DiscardDeadLettersRequest = z.infer<typeof DiscardDeadLettersRequest>;
export type DeadLetterActionResult = z.infer<typeof DeadLetterActionResult>;

/** One dependency's circuit breaker, as the service that keeps it reports it (shared by that service's replicas). */
export const BreakerView = z.object({
  /** `gologin:<token id>`, `x-web`, `x-token:<app>` */
  name: z.string(),
  state: z.enum(['closed', 'open', 'half_open']),
  failures: z.number().int(),
  /** While open: how long until one caller probes the dependency (ms). */
  openForMs: z.number().int().optional(),
  /** The current open window (ms); it doubles after each failed probe. */
  openMs: z.number().int(),
  lastError: z.string().optional(),
  updatedAt: z.string(),
});
/** `GET /v1/breakers`: every service's breakers; a service that did not answer is named in `unavailable`. */
export const BreakersView = z.object({
  breakers: z.array(BreakerView.extend({ service: z.enum(['orchestrator', 'browser-worker']) })),
  unavailable: z.array(z.string()),
});
export type BreakerView = z.infer<typeof BreakerView>;
export type BreakersView = z.infer<typeof BreakersView>;
export type ReopenJobRequest = z.infer<typeof ReopenJobRequest>;
export type InternalReopenJobRequest = z.infer<typeof InternalReopenJobRequest>;
export type ReopenJobResult = z.infer<typeof ReopenJobResult>;
export type FailedLoginFilter = z.infer<typeof FailedLoginFilter>;
export type RetryFailedLoginsRequest = z.infer<typeof RetryFailedLoginsRequest>;
export type RetryFailedLoginsResult = z.infer<typeof RetryFailedLoginsResult>;
export type InternalRetryFailedLoginsRequest = z.infer<typeof InternalRetryFailedLoginsRequest>;
