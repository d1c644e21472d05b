import { z } from 'zod';
import { AccountId, AppName, ProfileId, Scopes } from './messages.js';

/** Service scopes a client can hold. */
export const SERVICE_SCOPES = ['logins:write', 'tokens:read', 'jobs:read', 'dlq:admin', 'accounts:admin'] as const;
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
  replyTo: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).optional(),
});
export const CreateLoginResponse = z.object({ requestId: z.uuid(), status: z.literal('accepted') });

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
