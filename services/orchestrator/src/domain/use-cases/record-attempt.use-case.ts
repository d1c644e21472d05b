import type { AuthorizationAttemptFailed, AuthorizationJobStarted } from '@xauth/contracts';
import type { OrchestratorDeps } from '../deps.js';
import { isTerminal } from '../job-rules.js';
import { failJob } from './fail-job.js';

/** `authorization.job.started`: the job is running (again, if a worker retries it). */
export async function recordJobStarted(deps: OrchestratorDeps, msg: AuthorizationJobStarted): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const job = await tx.lockJob(msg.jobId);
    if (!job || (job.status !== 'dispatched' && job.status !== 'running')) return;
    await tx.updateJob(job.jobId, { status: 'running', workerId: msg.workerId, attempt: job.status === 'running' ? job.attempt + 1 : job.attempt });
  });
}

/**
 * `authorization.attempt.failed`: `retryable: true` means the worker retries the job, so only the
 * last error is recorded; otherwise the job has failed (or, out of attempts, was dead-lettered)
 * and every waiting request is answered.
 */
export async function recordAttemptFailed(deps: OrchestratorDeps, msg: AuthorizationAttemptFailed): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const job = await tx.lockJob(msg.jobId);
    if (!job || isTerminal(job.status)) return;
    // Each attempt's artifacts are listed beside the earlier ones' (the first attempt's screenshot next to the retry's trace).
    const artifacts = msg.artifacts ? [...new Set([...job.artifacts, ...msg.artifacts])] : undefined;
    if (msg.retryable) {
      await tx.updateJob(job.jobId, { errorCode: msg.errorCode, errorMessage: msg.message, ...(artifacts ? { artifacts } : {}) });
      return;
    }
    await failJob(tx, job, msg.errorCode, msg.message, { artifacts, status: msg.deadLettered ? 'dead_lettered' : 'failed' });
  });
  deps.logger.warn('authorization attempt failed', { jobId: msg.jobId, errorCode: msg.errorCode, retryable: msg.retryable });
}
