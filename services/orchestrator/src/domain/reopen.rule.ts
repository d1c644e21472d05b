import { ErrorCodes, type JobStatus } from '@xauth/contracts';
import { ACTIVE_STATUSES } from './job-rules.js';

/** The ends a reopen can undo. */
export const REOPENABLE_STATUSES: readonly JobStatus[] = ['failed', 'dead_lettered', 'expired'];

/**
 * Failures a run of the same job cannot fix: the job keeps its profile, so a profile signed in to
 * another account fails the same way; a new login maps the account to its current profile.
 */
const NOT_FIXED_BY_RETRY: ReadonlySet<string> = new Set([ErrorCodes.IDENTITY_MISMATCH]);

export interface ReopenFacts {
  job: { jobId: string; accountId: string; app: string; status: JobStatus; errorCode: string | null };
  /** The newest job of the same account and app (this one, or one created after it). */
  latest: { jobId: string; status: JobStatus };
  appConfigured: boolean;
}

/** Why a job may not be reopened, as `{code, message}`; undefined when it may. One rule for the dry run and the real one. */
export function whyNotReopenable(f: ReopenFacts): { code: string; message: string } | undefined {
  const refuse = (message: string) => ({ code: ErrorCodes.JOB_NOT_REOPENABLE, message: `job ${f.job.jobId} cannot be reopened: ${message}` });
  if (f.job.status === 'succeeded') return refuse('it already succeeded');
  if (ACTIVE_STATUSES.includes(f.job.status)) return refuse(`it is still ${f.job.status}`);
  if (!REOPENABLE_STATUSES.includes(f.job.status)) return refuse(`its status ${f.job.status} is not one a reopen undoes`);
  if (!f.appConfigured) return refuse(`its app "${f.job.app}" is no longer configured (X_APPS)`);
  if (f.job.errorCode && NOT_FIXED_BY_RETRY.has(f.job.errorCode)) {
    return refuse(`a run of the same job cannot fix ${f.job.errorCode} (it keeps its profile); fix the profile and request a new login (force) instead`);
  }
  if (f.latest.jobId !== f.job.jobId) {
    return refuse(`a newer job ${f.latest.jobId} (${f.latest.status}) of @${f.job.accountId} for "${f.job.app}" stands; act on that one`);
  }
  return undefined;
}
