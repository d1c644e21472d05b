import { ErrorCodes } from '@xauth/contracts';
import { AppError, errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import { refreshClaimed, refreshToken, type RefreshOutcome } from './refresh-token.use-case.js';

/** Outcomes that leave a token where it was: the next selection would pick it again. */
const UNSETTLED = new Set(['busy', 'not_due', 'backing_off', 'paused', 'account_paused']);

/**
 * Refresher rounds: every token due within REFRESH_AHEAD_MS, REFRESH_CONCURRENCY at a time; a full
 * batch that settled tokens (refreshed, or failed and backing off) is followed by another at once
 * (bounded), so a backlog drains faster than the interval. Lost refreshes go first (announced, not
 * spent); then each lane claims its next due token in one statement (marked in flight before X is
 * called, so no more tokens are in flight than lanes, and replicas never claim the same one).
 * Tokens backing off and apps paused are not even selected, so failing tokens never fill a batch.
 * Returns the outcomes (an outcome or an error code, with counts).
 */
export async function refreshDueTokens(deps: OrchestratorDeps, maxRounds = 100): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let round = 0; round < maxRounds; round++) {
    const { due, settled } = await refreshRound(deps, counts);
    if (due < deps.settings.refreshBatch || settled === 0) break;
  }
  return counts;
}

async function refreshRound(deps: OrchestratorDeps, counts: Record<string, number>): Promise<{ due: number; settled: number }> {
  const blocked = await appsBehindOpenBreakers(deps);
  if (blocked.length) counts.breaker_open = (counts.breaker_open ?? 0) + blocked.length;
  const batch = deps.settings.refreshBatch;
  let due = 0;
  let settled = 0;
  const tally = async (accountId: string, app: string, refresh: () => Promise<RefreshOutcome>) => {
    const outcome = await refresh().catch((err: unknown) => {
      deps.logger.warn('token refresh failed; the token backs off', { accountId, app, error: errorMessage(err) });
      return err instanceof AppError ? err.code : ErrorCodes.INTERNAL;
    });
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (!UNSETTLED.has(outcome)) settled += 1;
  };
  const lost = await deps.store.lostRefreshes(batch, { leaseMs: deps.settings.refreshLeaseMs });
  due += lost.length;
  await eachConcurrently(lost, deps.settings.refreshConcurrency, ({ accountId, app }) =>
    tally(accountId, app, () => refreshToken(deps, accountId, app, { onlyIfDue: true })),
  );
  const before = new Date(Date.now() + deps.settings.refreshAheadMs);
  // A token refreshed this round is not claimed again in it, even if it is due again at once (a
  // token lifetime shorter than REFRESH_AHEAD_MS): the round ends instead of spinning on it.
  const claim = { apps: deps.apps.map((a) => a.name), pausedApps: [...deps.appPauses.paused(), ...blocked], notSavedSince: await deps.store.databaseNow() };
  await eachLane(deps.settings.refreshConcurrency, async () => {
    if (due >= batch) return false;
    due += 1; // taken before the claim resolves, so the lanes together stay within the batch
    const token = await deps.store.claimNextDue(before, claim);
    if (!token) {
      due -= 1;
      return false;
    }
    await tally(token.accountId, token.app, () => refreshClaimed(deps, token));
    return true;
  });
  if (due) deps.logger.info('refresher round', { due, ...counts });
  return { due, settled };
}

/** `lanes` loops each running `step` until it answers false; a lane that fails stops, the others finish first. */
async function eachLane(lanes: number, step: () => Promise<boolean>): Promise<void> {
  const ends = await Promise.allSettled(
    Array.from({ length: Math.max(1, lanes) }, async () => {
      while (await step());
    }),
  );
  const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Apps whose token endpoint is known down or refusing the app (its breaker is open): their tokens
 * are not selected at all this round (not locked, not spent, not filling the batch).
 */
async function appsBehindOpenBreakers(deps: OrchestratorDeps): Promise<string[]> {
  const breakers = deps.breakers;
  if (!breakers) return [];
  const blocked = await Promise.all(deps.apps.map(async (a) => ((await breakers.tokenEndpointBlocked(a.name)) ? a.name : undefined)));
  return blocked.filter((a): a is string => a !== undefined);
}

/** Runs `work` over `items`, at most `lanes` at once. */
export async function eachConcurrently<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
}
