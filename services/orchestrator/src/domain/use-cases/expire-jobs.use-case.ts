import { ErrorCodes } from '@xauth/contracts';
import type { OrchestratorDeps } from '../deps.js';
import { failJob } from './fail-job.js';

/** Ends jobs stuck past their deadline (a lost worker, a broker outage) as `expired`. Returns how many. */
export async function expireOverdueJobs(deps: OrchestratorDeps, now = new Date(), batch = 100): Promise<number> {
  return deps.store.transaction(async (tx) => {
    const jobs = await tx.lockOverdueJobs(now, batch);
    for (const job of jobs)
      await failJob(tx, job, ErrorCodes.JOB_EXPIRED, `job did not finish before its deadline ${job.deadline.toISOString()}`, { status: 'expired' });
    if (jobs.length) deps.logger.warn('expired overdue jobs', { count: jobs.length });
    return jobs.length;
  });
}
