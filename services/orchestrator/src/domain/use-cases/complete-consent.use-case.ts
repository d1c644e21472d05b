import { ErrorCodes, type AuthorizationConsentCaptured } from '@xauth/contracts';
import { AppError, TransientError, constantTimeEqual, errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { assertIdentity } from '../identity.js';
import { acceptsConsent, isTerminal } from '../job-rules.js';
import { tokenAad, type Job, type TokenSet, type XApp } from '../model.js';
import type { OrchestratorTx } from '../ports.js';
import { failJob, type FailJobTx } from './fail-job.js';
import type { MessageMeta } from './request-login.use-case.js';

/**
 * `authorization.consent.captured`: check `state`, claim the exchange, exchange the code (once:
 * the tokens are kept encrypted on the job until the identity check, so a retry never re-spends
 * the code), require `/2/users/me` to be the account, store the tokens encrypted and answer every
 * waiting request. One consent is exchanged once whatever the redelivery: the claim is committed
 * before X is called, and a copy that finds it held (within the lease) is deferred without touching
 * the job; tokens from an exchange that cannot be kept (another identity, a job that ended
 * meanwhile) are revoked at X.
 */
export async function completeConsent(deps: OrchestratorDeps, msg: AuthorizationConsentCaptured, meta: MessageMeta): Promise<void> {
  const job = await deps.store.transaction((tx) => claimExchange(deps, tx, msg));
  if (!job) return;
  const app = deps.apps.find((a) => a.name === job.app);
  if (!app) throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `app "${job.app}" is no longer configured`, retryable: false });

  let got: { tokens: TokenSet; fresh: boolean } | undefined;
  try {
    got = await exchangeOnce(deps, app, job, msg.code);
    if (!got) return;
    const me = await deps.x.me(got.tokens.accessToken);
    try {
      assertIdentity(job.accountId, me);
    } catch (err) {
      await revokeUnkept(deps, app, job, got.tokens, 'identity mismatch');
      throw err;
    }
    const stored = await storeAndAnswer(deps, job, got.tokens, me.id, meta);
    if (!stored && got.fresh) await revokeUnkept(deps, app, job, got.tokens, 'the job ended before the tokens could be stored');
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

/** How long a claimed exchange is left to its holder: the token call and /2/users/me, each bounded by X_HTTP_TIMEOUT_MS. */
const exchangeLeaseMs = (deps: OrchestratorDeps) => 3 * deps.settings.xHttpTimeoutMs;

/**
 * The job, if this copy of the consent is to go on: pending tokens (a retry after the exchange)
 * or the exchange claimed now. A copy that finds another's claim within the lease is deferred
 * (it comes back, and then finds the job ended or the tokens pending); past the lease the claim's
 * holder is presumed dead and this copy takes over.
 */
async function claimExchange(
  deps: OrchestratorDeps,
  tx: Pick<OrchestratorTx, 'lockJob'> & FailJobTx,
  msg: AuthorizationConsentCaptured,
): Promise<Job | undefined> {
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
  if (job.pendingTokensEnc) return job;
  const heldFor = job.exchangeStartedAt ? Date.now() - job.exchangeStartedAt.getTime() : undefined;
  if (heldFor !== undefined && heldFor < exchangeLeaseMs(deps)) {
    throw new TransientError({
      code: ErrorCodes.CONCURRENT_UPDATE,
      deferred: true,
      retryAfterMs: exchangeLeaseMs(deps) - heldFor,
      message: 'another copy of this consent is exchanging the code; this one waits and then finds the outcome',
    });
  }
  if (heldFor !== undefined) deps.logger.warn('a consent exchange outlived its lease; taking it over (the code may be spent)', { jobId: job.jobId });
  const exchangeStartedAt = new Date();
  await tx.updateJob(job.jobId, { status: 'consent_captured', exchangeStartedAt });
  return { ...job, status: 'consent_captured', exchangeStartedAt };
}

/**
 * The tokens of the job: pending ones (not fresh), or the code exchanged now and kept on the job
 * if it still holds this copy's claim; otherwise (it ended, or another copy took over) they are
 * revoked and undefined is returned.
 */
async function exchangeOnce(deps: OrchestratorDeps, app: XApp, job: Job, code: string): Promise<{ tokens: TokenSet; fresh: boolean } | undefined> {
  if (job.pendingTokensEnc) return { tokens: JSON.parse(deps.keyring.decrypt(job.pendingTokensEnc, job.jobId)) as TokenSet, fresh: false };
  const tokens = await deps.x.exchangeCode(app, { code, verifier: deps.keyring.decrypt(job.verifierEnc, job.jobId), redirectUri: job.redirectUri });
  const kept = await deps.store.transaction(async (tx) => {
    const locked = await tx.lockJob(job.jobId);
    if (!locked || isTerminal(locked.status) || locked.exchangeStartedAt?.getTime() !== job.exchangeStartedAt?.getTime()) return false;
    await tx.updateJob(job.jobId, { pendingTokensEnc: deps.keyring.encrypt(JSON.stringify(tokens), job.jobId) });
    return true;
  });
  if (kept) return { tokens, fresh: true };
  await revokeUnkept(deps, app, job, tokens, 'the job ended or another copy took the exchange over');
  return undefined;
}

/** Tokens X issued that xauth will not keep: revoked at X (both), so none lives on unknown to us. */
async function revokeUnkept(deps: OrchestratorDeps, app: XApp, job: Job, tokens: TokenSet, why: string): Promise<void> {
  try {
    if (tokens.refreshToken) await deps.x.revoke(app, tokens.refreshToken, 'refresh_token');
    await deps.x.revoke(app, tokens.accessToken, 'access_token');
    deps.logger.info('tokens from an exchange that cannot be kept were revoked at X', { jobId: job.jobId, reason: why });
  } catch (e) {
    deps.logger.warn('could not revoke tokens from an exchange that cannot be kept', { jobId: job.jobId, reason: why, error: errorMessage(e) });
  }
}

/** Stores the tokens and answers the job's requests; false when the job had ended meanwhile (nothing stored). */
async function storeAndAnswer(deps: OrchestratorDeps, job: Job, tokens: TokenSet, xUserId: string, meta: MessageMeta): Promise<boolean> {
  const expiresAt = new Date(Date.now() + tokens.expiresIn * 1000);
  const aad = tokenAad(job.accountId, job.app);
  const scopes = tokens.scope || job.scopes;
  const stored = await deps.store.transaction(async (tx) => {
    const locked = await tx.lockJob(job.jobId);
    if (!locked || isTerminal(locked.status)) return false;
    await tx.saveToken({
      accountId: job.accountId,
      app: job.app,
      xUserId,
      scopes,
      expiresAt,
      accessTokenEnc: deps.keyring.encrypt(tokens.accessToken, aad),
      refreshTokenEnc: tokens.refreshToken ? deps.keyring.encrypt(tokens.refreshToken, aad) : null,
    });
    await tx.updateJob(job.jobId, { status: 'succeeded', pendingTokensEnc: null, errorCode: null, errorMessage: null });
    for (const r of await tx.requestsOfJob(job.jobId)) {
      await tx.emit(
        'user.authenticated',
        {
          requestId: r.requestId,
          jobId: job.jobId,
          accountId: r.accountId,
          xUserId,
          app: job.app,
          scopes,
          expiresAt: expiresAt.toISOString(),
          cached: false,
        },
        { correlationId: r.correlationId, causationId: meta.messageId, routingKeySuffix: r.replyTo ?? undefined },
      );
    }
    await tx.setRequestsOutcome(job.jobId, 'answered');
    return true;
  });
  if (stored) deps.logger.info('account authenticated', { jobId: job.jobId, accountId: job.accountId });
  return stored;
}
