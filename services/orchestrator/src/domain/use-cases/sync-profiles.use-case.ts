import type { OrchestratorDeps } from '../deps.js';

/** Refreshes the profile ↔ X account map from the profile provider. Returns how many profiles it saw. */
export async function syncProfiles(deps: OrchestratorDeps, provider = 'gologin'): Promise<number> {
  const links = await deps.profiles.listProfiles();
  await deps.store.transaction((tx) => tx.upsertProfiles(links, provider, new Date()));
  deps.logger.info('profiles synced', { count: links.length, provider });
  return links.length;
}
