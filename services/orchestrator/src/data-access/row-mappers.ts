import type { Job, LoginRequest, StoredToken } from '../domain/model.js';
import type { JobRow, LoginRequestRow, TokenRow } from './entities/index.js';

/** Entities into the plain shapes the domain works with (entities never leave data-access). */
export const toJob = (r: JobRow): Job => ({
  jobId: r.jobId,
  accountId: r.accountId,
  app: r.app,
  profileId: r.profileId,
  scopes: r.scopes,
  status: r.status,
  attempt: r.attempt,
  redirectUri: r.redirectUri,
  stateEnc: r.stateEnc,
  verifierEnc: r.verifierEnc,
  pendingTokensEnc: r.pendingTokensEnc,
  deadline: r.deadline,
  errorCode: r.errorCode,
  errorMessage: r.errorMessage,
  artifacts: r.artifacts ?? [],
  exchangeStartedAt: r.exchangeStartedAt ?? null,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});
export const toRequest = (r: LoginRequestRow): LoginRequest => ({
  requestId: r.requestId,
  accountId: r.accountId,
  app: r.app,
  jobId: r.jobId,
  replyTo: r.replyTo,
  correlationId: r.correlationId,
});
export const toToken = (r: TokenRow): StoredToken => ({
  accountId: r.accountId,
  app: r.app,
  xUserId: r.xUserId,
  accessTokenEnc: r.accessTokenEnc,
  refreshTokenEnc: r.refreshTokenEnc,
  scopes: r.scopes,
  expiresAt: r.expiresAt,
  status: r.status as StoredToken['status'],
  version: r.version,
  nextAttemptAt: r.nextAttemptAt,
  failures: r.failures,
  lastErrorCode: r.lastErrorCode,
  refreshStartedAt: r.refreshStartedAt,
});
