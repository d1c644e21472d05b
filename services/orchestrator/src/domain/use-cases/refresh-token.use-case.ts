import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, NeedsOperatorError, TransientError, errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { tokenAad, type StoredToken, type TokenSet, type XApp } from '../model.js';
import type { AccountsTx, OrchestratorTx } from '../ports.js';
import { refreshBackoffMs, refreshFailureAction } from '../refresh-failure.rule.js';

export type RefreshOutcome =
  'refreshed' | 'not_due' | 'busy' | 'absent' | 'dead' | 'failed' | 'backing_off' | 'paused' | 'account_paused' | 'outcome_unknown' | 'breaker_open';

/** What declaring a token dead touches: the token, the account's history, the announcements. */
type EndTokenTx = Pick<OrchestratorTx, 'markTokenDead' | 'emit'> & { accounts: Pick<AccountsTx, 'record'> };
/** What claiming a token for a refresh reads and marks (and, for a lost answer, ends). */
type ClaimTx = Pick<OrchestratorTx, 'lockTokenIfFree' | 'findToken' | 'setRefreshState'> & EndTokenTx & { accounts: Pick<AccountsTx, 'standing'> };

export interface RefreshOptions {
  /** The refresher's call: leave tokens that are not due, backing off, or of a paused app. */
  onlyIfDue: boolean;
  correlationId?: string;
  /** An operator's recheck: spend the refresh token of a dead token once; a rotation revives it. */
  recheckDead?: boolean;
}

/**
 * Refreshes one account's token for one app in three steps, so an answer X gave is never lost:
 * claim (row lock SKIP LOCKED, in-flight marker committed: replicas never spend the same refresh
 * token), call X outside any transaction, then store the rotated pair at once in its own
 * transaction (the announcement follows separately). Only X's word that the refresh token is
 * invalid kills the token; the app's credentials refused touch no token; a refresh sent without an
 * answer marks the outcome unknown, and the next look announces reauthorization instead of spending
 * the refresh token again; anything else backs the token off on its own. Failures are thrown after
 * they were recorded (transient ones retry through the bus).
 */
export async function refreshToken(deps: OrchestratorDeps, accountId: string, app: string, opts: RefreshOptions): Promise<RefreshOutcome> {
  const correlationId = opts.correlationId ?? randomUUID();
  const xApp = deps.apps.find((a) => a.name === app);
  if (!xApp) throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `unknown app "${app}"`, retryable: false });
  const claim = await deps.store.transaction((tx) => claimForRefresh(deps, tx, accountId, app, opts, correlationId));
  if (typeof claim === 'string') return claim;
  return spend(deps, xApp, claim, correlationId);
}

async function claimForRefresh(
  deps: OrchestratorDeps,
  tx: ClaimTx,
  accountId: string,
  app: string,
  opts: RefreshOptions,
  correlationId: string,
): Promise<StoredToken | RefreshOutcome> {
  const token = await tx.lockTokenIfFree(accountId, app);
  if (!token) return (await tx.findToken(accountId, app)) ? 'busy' : 'absent';
  // A paused account gets no refresh at all, asked for or due (checked under the row lock: an offboarding waits for it).
  if ((await tx.accounts.standing(accountId))?.paused) return 'account_paused';
  const now = Date.now();
  if (token.refreshStartedAt && now - token.refreshStartedAt.getTime() < deps.settings.refreshLeaseMs) return 'busy';
  if (token.status === 'outcome_unknown' || token.refreshStartedAt) {
    // A lost answer, or a refresh whose replica died in flight: X may have rotated the token.
    await endToken(
      deps,
      tx,
      token,
      {
        code: ErrorCodes.REFRESH_OUTCOME_UNKNOWN,
        reason: 'a refresh was sent and its answer was lost; X may have rotated the refresh token, so it is not spent again',
      },
      correlationId,
    );
    return 'outcome_unknown';
  }
  if (!token.refreshTokenEnc || (token.status === 'dead' && !opts.recheckDead)) return 'dead';
  if (opts.recheckDead && token.status !== 'dead') return 'not_due';
  if (opts.onlyIfDue) {
    if (token.expiresAt.getTime() - now > deps.settings.refreshAheadMs) return 'not_due';
    if (token.nextAttemptAt && token.nextAttemptAt.getTime() > now) return 'backing_off';
    if (deps.appPauses.isPaused(app, now)) return 'paused';
  } else if (deps.appPauses.isPaused(app, now)) {
    throw new TransientError({
      code: ErrorCodes.X_RATE_LIMITED,
      message: `X rate limited app "${app}"; refreshes wait for its reset`,
      retryAfterMs: deps.appPauses.remainingMs(app, now),
    });
  }
  const refreshStartedAt = new Date(now);
  await tx.setRefreshState(accountId, app, { refreshStartedAt });
  return { ...token, refreshStartedAt };
}

/**
 * The refresher's path for a token it claimed already (`Store.claimNextDue` marked it in flight):
 * the same spend as `refreshToken`'s, from the call to X on.
 */
export async function refreshClaimed(deps: OrchestratorDeps, token: StoredToken): Promise<RefreshOutcome> {
  const xApp = deps.apps.find((a) => a.name === token.app);
  if (!xApp) throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `unknown app "${token.app}"`, retryable: false });
  return spend(deps, xApp, token, randomUUID());
}

async function spend(deps: OrchestratorDeps, xApp: XApp, token: StoredToken, correlationId: string): Promise<RefreshOutcome> {
  const aad = tokenAad(token.accountId, token.app);
  let fresh: TokenSet;
  try {
    fresh = await deps.x.refresh(xApp, decryptRefreshToken(deps, token, aad));
  } catch (err) {
    return settleFailure(deps, token, err, correlationId);
  }
  const expiresAt = new Date(Date.now() + fresh.expiresIn * 1000);
  const rotated = {
    accountId: token.accountId,
    app: token.app,
    xUserId: token.xUserId,
    scopes: fresh.scope || token.scopes,
    expiresAt,
    accessTokenEnc: deps.keyring.encrypt(fresh.accessToken, aad),
    // X rotates refresh tokens; keep the old one only if it sent none.
    refreshTokenEnc: fresh.refreshToken ? deps.keyring.encrypt(fresh.refreshToken, aad) : token.refreshTokenEnc,
  };
  // X has spent the old refresh token: nothing may fail between its answer and this write.
  await persistently(deps, 'store the rotated token', () => deps.store.transaction((tx) => tx.saveToken(rotated)), token);
  if (token.status === 'dead') deps.logger.info('dead token revived by a recheck', { accountId: token.accountId, app: token.app });
  await persistently(
    deps,
    'announce token.refreshed',
    () =>
      deps.store.transaction(async (tx) => {
        await tx.emit('token.refreshed', { accountId: token.accountId, app: token.app, expiresAt: expiresAt.toISOString() }, { correlationId });
        await tx.accounts.record(token.accountId, { kind: 'refreshed', app: token.app, detail: `expires ${expiresAt.toISOString()}` });
      }),
    token,
  ).catch(() => undefined);
  return 'refreshed';
}

function decryptRefreshToken(deps: OrchestratorDeps, token: StoredToken, aad: string): string {
  try {
    return deps.keyring.decrypt(token.refreshTokenEnc!, aad);
  } catch (cause) {
    throw new NeedsOperatorError({
      code: ErrorCodes.DECRYPTION_FAILED,
      message: `the stored refresh token of @${token.accountId} cannot be decrypted (is its key missing from ENCRYPTION_KEYS?): ${errorMessage(cause)}`,
    });
  }
}

/** Records what a failed refresh means for the token, then throws it (kills return instead). */
async function settleFailure(deps: OrchestratorDeps, token: StoredToken, err: unknown, correlationId: string): Promise<RefreshOutcome> {
  const action = refreshFailureAction(err);
  const code = err instanceof AppError ? err.code : ErrorCodes.INTERNAL;
  const { accountId, app } = token;
  const now = Date.now();
  const rechecking = token.status === 'dead';
  if (action.kind === 'kill') {
    if (rechecking) {
      await deps.store.transaction((tx) => tx.setRefreshState(accountId, app, { refreshStartedAt: null, lastErrorCode: code }));
      return 'dead';
    }
    return deps.store.transaction(async (tx) => {
      const current = await tx.findToken(accountId, app);
      // Another replica rotated it meanwhile (its lease ran out on us): nothing is wrong.
      if (current && current.version !== token.version) return 'busy';
      await endToken(deps, tx, token, { code, reason: errorMessage(err) }, correlationId);
      return 'failed';
    });
  }
  if (action.kind === 'outcome_unknown') {
    await deps.store.transaction((tx) =>
      tx.setRefreshState(accountId, app, { status: rechecking ? 'dead' : 'outcome_unknown', refreshStartedAt: null, lastErrorCode: code }),
    );
    deps.logger.warn('refresh outcome unknown; the refresh token will not be spent again', { accountId, app, error: errorMessage(err) });
  } else if (action.kind === 'not_the_token') {
    // The app's configuration or its open breaker, not this token: release it untouched (the breaker, shared by the replicas, holds the app back).
    await deps.store.transaction((tx) => tx.setRefreshState(accountId, app, { refreshStartedAt: null }));
  } else {
    const failures = token.failures + 1;
    const waitMs = Math.max(refreshBackoffMs(failures, deps.settings.refreshBackoff), action.waitMs ?? 0);
    if (action.rateLimited) deps.appPauses.pause(app, now + (action.waitMs ?? waitMs));
    await deps.store.transaction((tx) =>
      tx.setRefreshState(accountId, app, { refreshStartedAt: null, failures, lastErrorCode: code, nextAttemptAt: new Date(now + waitMs) }),
    );
  }
  throw err;
}

/**
 * The token is dead: `token.refresh.failed`, `user.reauthorization.required`, and a new forced
 * login when AUTO_REAUTHORIZE is on.
 */
async function endToken(
  deps: OrchestratorDeps,
  tx: EndTokenTx,
  token: StoredToken,
  why: { code: string; reason: string },
  correlationId: string,
): Promise<void> {
  const { accountId, app } = token;
  await tx.markTokenDead(accountId, app, why.code);
  await tx.accounts.record(accountId, { kind: 'token_dead', app, errorCode: why.code, detail: why.reason });
  await tx.emit('token.refresh.failed', { accountId, app, errorCode: why.code }, { correlationId });
  await tx.emit('user.reauthorization.required', { accountId, app, reason: why.reason }, { correlationId });
  if (deps.settings.autoReauthorize) {
    await tx.emit('user.login.requested', { requestId: randomUUID(), accountId, app, scopes: token.scopes, force: true }, { correlationId });
  }
  deps.logger.warn('token is dead; reauthorization required', { accountId, app, errorCode: why.code, autoReauthorize: deps.settings.autoReauthorize });
}

const WRITE_ATTEMPTS = 5;

/** A write that must not be lost to a database hiccup: tried a few times, then logged and thrown (the in-flight marker stays, so the lease turns it into an unknown outcome). */
async function persistently<T>(deps: OrchestratorDeps, what: string, write: () => Promise<T>, token: StoredToken): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= WRITE_ATTEMPTS) {
        deps.logger.error(`could not ${what} after X answered`, { accountId: token.accountId, app: token.app, attempts: attempt, error: errorMessage(err) });
        throw err;
      }
      await sleep(250 * 2 ** (attempt - 1));
    }
  }
}
