import { randomUUID } from 'node:crypto';
import { ErrorCodes, type ReopenJobResult } from '@xauth/contracts';
import { AppError, NotFoundError } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { buildAuthorizeUrl, createPkcePair, createState } from '../pkce.js';
import { whyNotReopenable } from '../reopen.rule.js';
import type { Job } from '../model.js';
import type { OrchestratorTx } from '../ports.js';

/** What reopening a locked job writes: the job, its failed requests, the dispatch, the audit. */
type ReopenTx = Pick<OrchestratorTx, 'reactivateJob' | 'reacceptFailedRequests' | 'firstCorrelationOf' | 'emit' | 'recordOperatorAction'>;

export interface ReopenOptions {
  dryRun: boolean;
  /** Who acts (the gateway's client id, or the operator behind a dead-letter replay). */
  by: string;
  reason: string;
  /** The dead letter's messageId, when a replay asked. */
  replayOf?: string;
  /** Set by "request failed logins again": that action is audited once, as a whole. */
  audited?: boolean;
}

/**
 * Reopens a failed, dead-lettered or expired job, in one transaction: the checks of
 * `whyNotReopenable`, then status dispatched, attempt 1, a fresh deadline (JOB_TTL_MS), no error,
 * a fresh PKCE state and verifier, its failed requests waiting again, and a fresh
 * `authorization.job.requested` through the outbox; when the job ends they are answered again.
 * A dry run takes the same path and returns just before the first write, so the two never disagree.
 */
export async function reopenJob(deps: OrchestratorDeps, jobId: string, opts: ReopenOptions): Promise<ReopenJobResult> {
  return deps.store.transaction(async (tx) => {
    const job = await tx.lockJob(jobId);
    if (!job) throw new NotFoundError({ code: ErrorCodes.UNKNOWN_JOB, message: `no job ${jobId}` });
    await assertReopenable(deps, tx, job);
    if (opts.dryRun) return { jobId, dryRun: true, reopened: true, requests: await tx.countFailedRequests(jobId) };
    return reopenLocked(deps, tx, job, opts);
  });
}

async function assertReopenable(deps: OrchestratorDeps, tx: Pick<OrchestratorTx, 'latestJobFor'>, job: Job): Promise<void> {
  const latest = (await tx.latestJobFor(job.accountId, job.app)) ?? job;
  const refusal = whyNotReopenable({ job, latest, appConfigured: deps.apps.some((a) => a.name === job.app) });
  if (refusal) throw new AppError({ ...refusal, httpStatus: 409, retryable: false });
}

async function reopenLocked(deps: OrchestratorDeps, tx: ReopenTx, job: Job, opts: ReopenOptions): Promise<ReopenJobResult> {
  const app = deps.apps.find((a) => a.name === job.app)!;
  const pkce = createPkcePair();
  const state = createState();
  const deadline = new Date(Date.now() + deps.settings.jobTtlMs);
  const reactivated = await tx.reactivateJob(job.jobId, {
    status: 'dispatched',
    attempt: 1,
    deadline,
    errorCode: null,
    errorMessage: null,
    pendingTokensEnc: null,
    workerId: null,
    stateEnc: deps.keyring.encrypt(state, job.jobId),
    verifierEnc: deps.keyring.encrypt(pkce.verifier, job.jobId),
  });
  if (!reactivated) {
    throw new AppError({
      code: ErrorCodes.JOB_NOT_REOPENABLE,
      message: `job ${job.jobId} cannot be reopened: another job of @${job.accountId} for "${job.app}" became active meanwhile; act on that one`,
      httpStatus: 409,
      retryable: false,
    });
  }
  const requests = await tx.reacceptFailedRequests(job.jobId);
  const messageId = await tx.emit(
    'authorization.job.requested',
    {
      jobId: job.jobId,
      accountId: job.accountId,
      profileId: job.profileId,
      authorizeUrl: buildAuthorizeUrl(deps.settings.authorizeUrl, {
        clientId: app.clientId,
        redirectUri: job.redirectUri,
        scopes: job.scopes,
        state,
        challenge: pkce.challenge,
      }),
      redirectUri: job.redirectUri,
      deadline: deadline.toISOString(),
      attempt: 1,
    },
    { correlationId: (await tx.firstCorrelationOf(job.jobId)) ?? randomUUID(), causationId: opts.replayOf },
  );
  const result = { jobId: job.jobId, dryRun: false, reopened: true, requests, messageId, deadline: deadline.toISOString() };
  if (!opts.audited) {
    await tx.recordOperatorAction({
      action: 'job.reopen',
      actor: opts.by,
      reason: opts.reason,
      params: { jobId: job.jobId, replayOf: opts.replayOf ?? null, endedAs: job.status, errorCode: job.errorCode },
      result,
    });
  }
  deps.logger.info('job reopened', {
    jobId: job.jobId,
    accountId: job.accountId,
    endedAs: job.status,
    errorCode: job.errorCode,
    requests,
    by: opts.by,
    replayOf: opts.replayOf,
  });
  return result;
}
