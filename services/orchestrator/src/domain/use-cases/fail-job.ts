import type { Job } from '../model.js';
import type { OrchestratorTx } from '../ports.js';

/** What ending a job touches: the job, its waiting requests, and their answers. */
export type FailJobTx = Pick<OrchestratorTx, 'updateJob' | 'requestsOfJob' | 'setRequestsOutcome' | 'emit'>;

/** Ends a job as failed and answers every request waiting on it with `user.authentication.failed`. */
export async function failJob(
  tx: FailJobTx,
  job: Job,
  errorCode: string,
  message: string,
  extra: { status?: 'failed' | 'expired' | 'dead_lettered'; artifacts?: string[] } = {},
): Promise<void> {
  await tx.updateJob(job.jobId, {
    status: extra.status ?? 'failed',
    errorCode,
    errorMessage: message,
    pendingTokensEnc: null,
    ...(extra.artifacts ? { artifacts: extra.artifacts } : {}),
  });
  for (const r of await tx.requestsOfJob(job.jobId)) {
    await tx.emit(
      'user.authentication.failed',
      {
        requestId: r.requestId,
        jobId: job.jobId,
        accountId: r.accountId,
        errorCode,
        message,
        attempts: job.attempt,
      },
      { correlationId: r.correlationId, routingKeySuffix: r.replyTo ?? undefined },
    );
  }
  await tx.setRequestsOutcome(job.jobId, 'failed');
}
