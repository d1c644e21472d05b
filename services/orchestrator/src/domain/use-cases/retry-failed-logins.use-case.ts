import { ErrorCodes, type FailedLoginFilter, type RetryFailedLoginsResult } from '@xauth/contracts';
import { AppError, errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { reopenJob } from './reopen-job.use-case.js';

/**
 * "Request these logins again": each account+app whose newest job ended failed, dead_lettered or
 * expired and matches the filter (at most RELOGIN_BATCH_LIMIT; `more` says when there are more) has
 * that job reopened by `reopenJob`, paced at RELOGIN_RATE_PER_SECOND, so its waiting requests are
 * answered again. A refusal is listed with its code and reason, not fatal. A dry run runs the same
 * checks per job and changes nothing; a real run is audited in operator_actions.
 */
export async function retryFailedLogins(
  deps: OrchestratorDeps,
  filter: FailedLoginFilter,
  opts: { dryRun: boolean; by: string; reason: string },
): Promise<RetryFailedLoginsResult> {
  const { batchLimit, ratePerSecond } = deps.settings.relogin;
  const { jobs, total } = await deps.store.failedLatestJobs(filter, batchLimit);
  const result: RetryFailedLoginsResult = { dryRun: opts.dryRun, matched: total, more: total > jobs.length, requested: [], refused: [], actionId: null };
  const started = Date.now();
  for (const [i, job] of jobs.entries()) {
    if (!opts.dryRun) await paced(started, i, ratePerSecond);
    const login = { jobId: job.jobId, accountId: job.accountId, app: job.app, errorCode: job.errorCode };
    try {
      await reopenJob(deps, job.jobId, { dryRun: opts.dryRun, by: opts.by, reason: opts.reason, audited: true });
      result.requested.push(login);
    } catch (err) {
      result.refused.push({ ...login, code: err instanceof AppError ? err.code : ErrorCodes.INTERNAL, message: errorMessage(err) });
    }
  }
  if (!opts.dryRun) {
    result.actionId = await deps.store.transaction((tx) =>
      tx.recordOperatorAction({
        action: 'logins.retry-failed',
        actor: opts.by,
        reason: opts.reason,
        params: { filter, batchLimit, ratePerSecond },
        result: { matched: result.matched, more: result.more, requested: result.requested, refused: result.refused },
      }),
    );
  }
  deps.logger.info('failed logins requested again', {
    dryRun: opts.dryRun,
    matched: total,
    requested: result.requested.length,
    refused: result.refused.length,
    by: opts.by,
  });
  return result;
}

/** Waits until the i-th action's slot, counted from the start, so a slow one does not make the next ones burst. */
async function paced(started: number, i: number, ratePerSecond: number): Promise<void> {
  const wait = started + (i * 1000) / ratePerSecond - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
