import type { OrchestratorDeps } from '../deps.js';

/**
 * Syncs on demand (a login for an account no known profile maps to: it may have been added since
 * the last sync), at most once per `minIntervalMs` and never two at once, so a burst of requests
 * for unknown accounts cannot provoke GoLogin's rate limit.
 */
export function onDemandProfileSync(deps: () => OrchestratorDeps, minIntervalMs: number): () => Promise<void> {
  let last = 0;
  let inFlight: Promise<unknown> | undefined;
  return async () => {
    if (!inFlight) {
      if (Date.now() - last < minIntervalMs) return;
      last = Date.now();
      inFlight = syncProfiles(deps())
        .catch((err: unknown) => deps().logger.warn('on-demand profile sync failed', { error: String(err) }))
        .finally(() => {
          inFlight = undefined;
        });
    }
    await inFlight;
  };
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
