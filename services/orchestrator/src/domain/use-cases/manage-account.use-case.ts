import { randomUUID } from 'node:crypto';
import { ErrorCodes, type AccountActionResult } from '@xauth/contracts';
import { AppError, NotFoundError, TransientError } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { tokenAad, type StoredToken } from '../model.js';
import type { AccountsTx, OrchestratorTx } from '../ports.js';
import { failJob, type FailJobTx } from './fail-job.js';

export interface AccountAction {
  by: string;
  reason: string;
}

async function requireKnown(deps: OrchestratorDeps, tx: { accounts: Pick<AccountsTx, 'known'> }, accountId: string): Promise<void> {
  if (!(await tx.accounts.known(accountId))) throw new NotFoundError({ code: ErrorCodes.ACCOUNT_NOT_FOUND, message: `no account @${accountId}` });
}

/** Ends the account's active jobs (every app) with ACCOUNT_PAUSED, answering their requests; how many. */
async function endActiveJobs(deps: OrchestratorDeps, tx: Pick<OrchestratorTx, 'activeJobFor' | 'lockJob'> & FailJobTx, accountId: string): Promise<number> {
  let ended = 0;
  for (const app of deps.apps) {
    const active = await tx.activeJobFor(accountId, app.name);
    const job = active && (await tx.lockJob(active.jobId));
    if (!job) continue;
    await failJob(tx, job, ErrorCodes.ACCOUNT_PAUSED, `@${accountId} was paused`);
    ended += 1;
  }
  return ended;
}

/** Pause: no login and no refresh runs for the account until it is resumed; its active jobs end. */
export async function pauseAccount(deps: OrchestratorDeps, accountId: string, a: AccountAction): Promise<AccountActionResult> {
  const result = await deps.store.transaction(async (tx) => {
    await requireKnown(deps, tx, accountId);
    const changed = await tx.accounts.pause(accountId, a.by, a.reason);
    if (changed) await tx.accounts.record(accountId, { kind: 'paused', detail: `${a.by}: ${a.reason}` });
    return { accountId, action: 'pause' as const, changed, jobsEnded: await endActiveJobs(deps, tx, accountId) };
  });
  deps.logger.info('account paused', { accountId, actor: a.by, changed: result.changed, jobsEnded: result.jobsEnded });
  return result;
}

/** Resume a paused or offboarded account: logins and refreshes run again (an offboarded one needs a new login). */
export async function resumeAccount(deps: OrchestratorDeps, accountId: string, a: AccountAction): Promise<AccountActionResult> {
  const changed = await deps.store.transaction(async (tx) => {
    const changed = await tx.accounts.resume(accountId);
    if (!changed) await requireKnown(deps, tx, accountId);
    else await tx.accounts.record(accountId, { kind: 'resumed', detail: `${a.by}: ${a.reason}` });
    return changed;
  });
  deps.logger.info('account resumed', { accountId, actor: a.by, changed });
  return { accountId, action: 'resume', changed };
}

/**
 * Offboard: pause first (committed: no refresh claims the tokens from then on), then, holding the
 * token rows, revoke both tokens of every app at X (each must be confirmed; a refusal keeps
 * everything and the account stays paused, so it can be tried again), delete them and announce
 * `account.offboarded`. Reads answer 404 from then on.
 */
export async function offboardAccount(deps: OrchestratorDeps, accountId: string, a: AccountAction): Promise<AccountActionResult> {
  await deps.store.transaction(async (tx) => {
    await requireKnown(deps, tx, accountId);
    if (await tx.accounts.pause(accountId, a.by, `offboarding: ${a.reason}`))
      await tx.accounts.record(accountId, { kind: 'paused', detail: `${a.by}: offboarding` });
    await endActiveJobs(deps, tx, accountId);
  });
  const revokedApps = await deps.store.transaction(async (tx) => {
    const tokens = await tx.accounts.lockTokens(accountId);
    const inFlight = tokens.find((t) => t.refreshStartedAt && Date.now() - t.refreshStartedAt.getTime() < deps.settings.refreshLeaseMs);
    if (inFlight) {
      throw new TransientError({
        code: ErrorCodes.CONCURRENT_UPDATE,
        message: `a refresh of @${accountId}'s token for "${inFlight.app}" is in flight; offboard again in a moment`,
        httpStatus: 409,
      });
    }
    for (const t of tokens) await revokeBoth(deps, t);
    await tx.accounts.deleteTokens(accountId);
    await tx.accounts.markOffboarded(accountId);
    const apps = tokens.map((t) => t.app);
    await tx.accounts.record(accountId, { kind: 'offboarded', detail: `${a.by}: ${a.reason}${apps.length ? ` (revoked at X: ${apps.join(', ')})` : ''}` });
    await tx.emit(
      'account.offboarded',
      { accountId, apps, by: a.by, reason: a.reason, offboardedAt: new Date().toISOString() },
      { correlationId: randomUUID() },
    );
    return apps;
  });
  deps.logger.info('account offboarded', { accountId, actor: a.by, apps: revokedApps });
  return { accountId, action: 'offboard', changed: true, revokedApps };
}

/** Revokes the refresh token (X ends its access token with it) and the access token, each confirmed. */
async function revokeBoth(deps: OrchestratorDeps, t: StoredToken): Promise<void> {
  const app = deps.apps.find((x) => x.name === t.app);
  if (!app)
    throw new AppError({
      code: ErrorCodes.UNKNOWN_APP,
      message: `app "${t.app}" of @${t.accountId}'s token is no longer configured: its tokens cannot be revoked`,
      retryable: false,
      httpStatus: 409,
    });
  const aad = tokenAad(t.accountId, t.app);
  if (t.refreshTokenEnc) await deps.x.revoke(app, deps.keyring.decrypt(t.refreshTokenEnc, aad), 'refresh_token');
  await deps.x.revoke(app, deps.keyring.decrypt(t.accessTokenEnc, aad), 'access_token');
}

/**
 * The profile-gone rule's second half: accounts whose GoLogin profile has been gone longer than the
 * grace period are offboarded (a few per round; one that fails is tried again next round).
 */
export async function offboardGoneAccounts(deps: OrchestratorDeps, graceMs: number, limit = 50): Promise<number> {
  const due = await deps.store.transaction((tx) => tx.accounts.goneSince(new Date(Date.now() - graceMs), limit));
  let done = 0;
  for (const accountId of due) {
    try {
      await offboardAccount(deps, accountId, {
        by: 'system:profile-gone',
        reason: `its GoLogin profile has been gone for longer than ${Math.round(graceMs / 60_000)} min`,
      });
      done += 1;
    } catch (err) {
      deps.logger.warn('could not offboard an account whose profile is gone; trying again next round', { accountId, error: (err as Error).message });
    }
  }
  return done;
}
