import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, errorMessage } from '@xauth/shared';
import type { Tx } from '../../data-access/store.js';
import type { OrchestratorDeps } from '../deps.js';
import { tokenAad, type StoredToken } from '../model.js';

export type RefreshOutcome = 'refreshed' | 'not_due' | 'busy' | 'absent' | 'dead' | 'failed' | 'breaker_open';

/**
 * Refreshes one account's token for one app. The row is locked with SKIP LOCKED for the whole
 * call, so exactly one replica spends the single-use refresh token; `onlyIfDue` re-checks the
 * expiry after the lock, so a token another replica just rotated is left alone. A refused refresh
 * token kills the token: `token.refresh.failed`, `user.reauthorization.required`, and a new
 * forced login when AUTO_REAUTHORIZE is on. Transient failures change nothing and are thrown.
 */
export async function refreshToken(deps: OrchestratorDeps, accountId: string, app: string, opts: { onlyIfDue: boolean; correlationId?: string }): Promise<RefreshOutcome> {
  const correlationId = opts.correlationId ?? randomUUID();
  const xApp = deps.apps.find((a) => a.name === app);
  if (!xApp) throw new AppError({ code: ErrorCodes.UNKNOWN_APP, message: `unknown app "${app}"`, retryable: false });
  return deps.store.transaction(async (tx): Promise<RefreshOutcome> => {
    const token = await tx.lockTokenIfFree(accountId, app);
    if (!token) return (await tx.findToken(accountId, app)) ? 'busy' : 'absent';
    if (token.status !== 'active' || !token.refreshTokenEnc) return 'dead';
    if (opts.onlyIfDue && token.expiresAt.getTime() - Date.now() > deps.settings.refreshAheadMs) return 'not_due';
    const aad = tokenAad(token.accountId, app);
    try {
      const fresh = await deps.x.refresh(xApp, deps.keyring.decrypt(token.refreshTokenEnc, aad));
      const expiresAt = new Date(Date.now() + fresh.expiresIn * 1000);
      await tx.saveToken({
        accountId: token.accountId, app, xUserId: token.xUserId, scopes: fresh.scope || token.scopes, expiresAt,
        accessTokenEnc: deps.keyring.encrypt(fresh.accessToken, aad),
        // X rotates refresh tokens; keep the old one only if it sent none.
        refreshTokenEnc: fresh.refreshToken ? deps.keyring.encrypt(fresh.refreshToken, aad) : token.refreshTokenEnc,
      });
      await tx.emit('token.refreshed', { accountId: token.accountId, app, expiresAt: expiresAt.toISOString() }, { correlationId });
      return 'refreshed';
    } catch (err) {
      if (!(err instanceof AppError) || err.retryable) throw err;
      await killToken(deps, tx, token, err, correlationId);
      return 'failed';
    }
  });
}

async function killToken(deps: OrchestratorDeps, tx: Tx, token: StoredToken, err: AppError, correlationId: string): Promise<void> {
  await tx.markTokenDead(token.accountId, token.app);
  await tx.emit('token.refresh.failed', { accountId: token.accountId, app: token.app, errorCode: err.code }, { correlationId });
  await tx.emit('user.reauthorization.required', { accountId: token.accountId, app: token.app, reason: err.message }, { correlationId });
  if (deps.settings.autoReauthorize) {
    await tx.emit('user.login.requested', { requestId: randomUUID(), accountId: token.accountId, app: token.app, scopes: token.scopes, force: true }, { correlationId });
  }
  deps.logger.warn('token is dead; reauthorization required', { accountId: token.accountId, app: token.app, errorCode: err.code, autoReauthorize: deps.settings.autoReauthorize });
}

/**
 * Refresher rounds: every token due within REFRESH_AHEAD_MS, a few at a time; a full batch that
 * made progress is followed by another at once (bounded), so a backlog drains faster than the
 * interval. Returns the outcomes.
 */
export async function refreshDueTokens(deps: OrchestratorDeps, maxRounds = 20): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let round = 0; round < maxRounds; round++) {
    const { due, refreshed } = await refreshRound(deps, counts);
    if (due < deps.settings.refreshBatch || refreshed === 0) break;
  }
  return counts;
}

async function refreshRound(deps: OrchestratorDeps, counts: Record<string, number>): Promise<{ due: number; refreshed: number }> {
  const due = await deps.store.dueTokens(new Date(Date.now() + deps.settings.refreshAheadMs), deps.settings.refreshBatch);
  const before = counts.refreshed ?? 0;
  let next = 0;
  const lane = async () => {
    while (next < due.length) {
      const { accountId, app } = due[next++]!;
      let outcome: string;
      if (await skipForOpenBreaker(deps, app)) {
        counts.breaker_open = (counts.breaker_open ?? 0) + 1;
        continue;
      }
      try {
        outcome = await refreshToken(deps, accountId, app, { onlyIfDue: true });
      } catch (err) {
        outcome = err instanceof AppError ? err.code : ErrorCodes.INTERNAL;
        deps.logger.warn('token refresh failed; will try again next round', { accountId, app, error: errorMessage(err) });
      }
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.settings.refreshConcurrency) }, lane));
  if (due.length) deps.logger.info('refresher round', { due: due.length, ...counts });
  return { due: due.length, refreshed: (counts.refreshed ?? 0) - before };
}

/** The app's token endpoint is known down or refusing the app: its tokens are not touched this round (not locked, not spent). */
function skipForOpenBreaker(deps: OrchestratorDeps, app: string): Promise<boolean> {
  return deps.breakers?.tokenEndpointBlocked(app) ?? Promise.resolve(false);
}
