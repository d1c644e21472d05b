import { errorMessage } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';

/**
 * This replica's profile syncs, one at a time: the periodic one, the one at start and those a login
 * for an unmapped account asks for join a sync under way instead of listing GoLogin again. A sync
 * of a large directory takes minutes (GoLogin lists 30 profiles a page, and the pages are paced by
 * GOLOGIN_LIST_RATE_LIMIT_PER_MINUTE), so a caller that must not wait that long waits at most
 * `waitMs` and lets the sync go on without it.
 */
export class ProfileSync {
  private last = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly deps: () => OrchestratorDeps,
    private readonly o: { minGapMs: number; waitMs: number },
  ) {}

  /** A sync now, or the one under way; rejects if it fails. */
  run(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = syncProfiles(this.deps())
        .then(() => undefined)
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  /**
   * A login for an account no known profile maps to (it may have been added since the last sync):
   * syncs at once, at most once per `minGapMs` so a burst of requests for unknown accounts cannot
   * list GoLogin over and over. True when the map is as fresh as it gets now; false when a sync is
   * still under way after `waitMs`.
   */
  async onDemand(): Promise<boolean> {
    if (!this.inFlight && Date.now() - this.last < this.o.minGapMs) return true;
    // Only these count for the gap: the periodic sync and the one at start are not a burst of requests.
    this.last = Date.now();
    return this.within((err) => this.deps().logger.warn('on-demand profile sync failed', { error: errorMessage(err) }));
  }

  /**
   * A sync now (or the one under way), waited for at most `waitMs`: true when it ended by then, with
   * or without success; false when it is still under way. `onFailure` hears of its failure whenever it comes.
   */
  async within(onFailure: (err: unknown) => void): Promise<boolean> {
    const ended = this.run().then(
      () => true,
      (err: unknown) => {
        onFailure(err);
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.o.waitMs);
      timer.unref();
    });
    try {
      return await Promise.race([ended, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Refreshes the profile ↔ X account map from the profile provider. Returns how many profiles it saw.
 * Only a complete listing deletes profiles it does not name; then the profile-gone rule applies:
 * an account that lost its last profile is paused (it gets no login and no refresh) and is
 * offboarded once PROFILE_GONE_GRACE_MS has passed (see `offboardGoneAccounts`); if its profile
 * comes back first, the pause the rule made is lifted. An incomplete listing (a failed page, a page
 * without profiles, a count that does not add up) only adds and updates.
 */
export async function syncProfiles(deps: OrchestratorDeps, provider = 'gologin'): Promise<number> {
  const startedAt = Date.now();
  const listing = await deps.profiles.listProfiles();
  const links = listing.links;
  if (links.length === 0) {
    // More likely a wrong token or workspace than every profile deleted: keep the map we have.
    deps.logger.warn('the profile directory listed no profiles; keeping the current map', { provider, problem: listing.problem });
    return 0;
  }
  const at = new Date();
  const changes = await deps.store.transaction(async (tx) => {
    await tx.upsertProfiles(links, provider, at);
    const goneKeys = listing.complete ? await tx.deleteProfilesSyncedBefore(provider, at) : [];
    const changes = await tx.accounts.applyProfileChanges(goneKeys, at);
    for (const accountId of changes.gone)
      await tx.accounts.record(accountId, {
        kind: 'profile_gone',
        detail: 'its GoLogin profile disappeared: paused until it comes back or the grace period ends',
      });
    for (const accountId of changes.back) await tx.accounts.record(accountId, { kind: 'profile_back', detail: 'its GoLogin profile is back' });
    return changes;
  });
  if (!listing.complete)
    deps.logger.warn('the profile listing was incomplete; profiles were added and updated, none deleted', {
      provider,
      seen: links.length,
      problem: listing.problem,
    });
  if (changes.gone.length || changes.back.length)
    deps.logger.warn('profiles disappeared or came back', { provider, gone: changes.gone.length, back: changes.back.length });
  deps.logger.info('profiles synced', { count: links.length, provider, complete: listing.complete, durationMs: Date.now() - startedAt });
  return links.length;
}
