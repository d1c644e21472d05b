import { ErrorCodes, type AuthorizationConsentCaptured } from '@xauth/contracts';
import { AppError, constantTimeEqual, errorMessage } from '@xauth/shared';
import type { XApp } from '../../config.js';
import type { OrchestratorDeps } from '../deps.js';
import { assertIdentity } from '../identity.js';
import { acceptsConsent, isTerminal } from '../job-rules.js';
import { tokenAad, type Job, type TokenSet } from '../model.js';
import { failJob } from './fail-job.js';
import type { MessageMeta } from './request-login.use-case.js';

/**
 * `authorization.consent.captured`: check `state`, exchange the code (once: the tokens are kept
 * encrypted on the job until the identity check, so a retry never re-spends the code), require
 * `/2/users/me` to be the account, store the tokens encrypted and answer every waiting request.
 */
export async function completeConsent(deps: OrchestratorDeps, msg: AuthorizationConsentCaptured, meta: MessageMeta): Promise<void> {
  const job = await deps.store.transaction(async (tx) => {
    const job = await tx.lockJob(msg.jobId);
    if (!job) throw new AppError({ code: ErrorCodes.UNKNOWN_JOB, message: `no job ${msg.jobId}`, retryable: false });
    if (isTerminal(job.status) || !acceptsConsent(job.status)) {
      deps.logger.info('consent for a job that is no longer waiting; ignored', { jobId: job.jobId, status: job.status });
      return undefined;
    }
    if (!constantTimeEqual(deps.keyring.decrypt(job.stateEnc, job.jobId), msg.state)) {
      await failJob(tx, job, ErrorCodes.STATE_MISMATCH, 'the captured state does not match the job');
      return undefined;
    }
    await tx.updateJob(job.jobId, { status: 'consent_captured' });
    return job;
  });
  if (!job) return;
  const app = deps.apps.find((a) => a.name === job.app);
  if (!app) throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `app "${job.app}" is no longer configured`, retryable: false });

  let tokens: TokenSet;
  try {
    tokens = await exchangeOnce(deps, app, job, msg.code);
    const me = await deps.x.me(tokens.accessToken);
    try {
      assertIdentity(job.accountId, me);
    } catch (err) {
      await deps.x.revoke(app, tokens.accessToken).catch((e: unknown) => deps.logger.warn('could not revoke the token of a mismatched identity', { jobId: job.jobId, error: errorMessage(e) }));
      throw err;
    }
    await storeAndAnswer(deps, job, tokens, me.id, meta);
  } catch (err) {
    if (err instanceof AppError && !err.retryable) {
      await deps.store.transaction(async (tx) => {
        const locked = await tx.lockJob(job.jobId);
        if (locked && !isTerminal(locked.status)) await failJob(tx, locked, err.code, err.message);
      });
      deps.logger.warn('authorization failed', { jobId: job.jobId, errorCode: err.code, error: err.message });
      return;
    }
    throw err;
  }
}

async function exchangeOnce(deps: OrchestratorDeps, app: XApp, job: Job, code: string): Promise<TokenSet> {
  if (job.pendingTokensEnc) return JSON.parse(deps.keyring.decrypt(job.pendingTokensEnc, job.jobId)) as TokenSet;
  const tokens = await deps.x.exchangeCode(app, { code, verifier: deps.keyring.decrypt(job.verifierEnc, job.jobId), redirectUri: job.redirectUri });
  await deps.store.transaction((tx) => tx.updateJob(job.jobId, { pendingTokensEnc: deps.keyring.encrypt(JSON.stringify(tokens), job.jobId) }));
  return tokens;
}

async function storeAndAnswer(deps: OrchestratorDeps, job: Job, tokens: TokenSet, xUserId: string, meta: MessageMeta): Promise<void> {
  const expiresAt = new Date(Date.now() + tokens.expiresIn * 1000);
  const aad = tokenAad(job.accountId, job.app);
  const scopes = tokens.scope || job.scopes;
  await deps.store.transaction(async (tx) => {
    const locked = await tx.lockJob(job.jobId);
    if (!locked || isTerminal(locked.status)) return;
    await tx.saveToken({
      accountId: job.accountId, app: job.app, xUserId, scopes, expiresAt,
      accessTokenEnc: deps.keyring.encrypt(tokens.accessToken, aad),
      refreshTokenEnc: tokens.refreshToken ? deps.keyring.encrypt(tokens.refreshToken, aad) : null,
    });
    await tx.updateJob(job.jobId, { status: 'succeeded', pendingTokensEnc: null, errorCode: null, errorMessage: null });
    for (const r of await tx.requestsOfJob(job.jobId)) {
      await tx.emit('user.authenticated', {
        requestId: r.requestId, jobId: job.jobId, accountId: r.accountId, xUserId, app: job.app, scopes, expiresAt: expiresAt.toISOString(), cached: false,
      }, { correlationId: r.correlationId, causationId: meta.messageId, routingKeySuffix: r.replyTo ?? undefined });
    }
    await tx.setRequestsOutcome(job.jobId, 'answered');
  });
  deps.logger.info('account authenticated', { jobId: job.jobId, accountId: job.accountId });
}
