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
        .finally(() => { inFlight = undefined; });
    }
    await inFlight;
  };
}

/** Refreshes the profile ↔ X account map from the profile provider. Returns how many profiles it saw. */
export async function syncProfiles(deps: OrchestratorDeps, provider = 'gologin'): Promise<number> {
  const links = await deps.profiles.listProfiles();
  if (links.length === 0) {
    // More likely a wrong token or workspace than every profile deleted: keep the map we have.
    deps.logger.warn('the profile directory listed no profiles; keeping the current map', { provider });
    return 0;
  }
  await deps.store.transaction((tx) => tx.replaceProfiles(links, provider, new Date()));
  deps.logger.info('profiles synced', { count: links.length, provider });
  return links.length;
}
