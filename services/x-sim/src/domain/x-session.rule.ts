import type { Scenarios } from './scenarios.store.js';
import type { SimUser, SimUsers } from './sim-users.store.js';

export interface XSession {
  /** Owner of the profile whose cookie this is; scenarios are looked up by it. */
  profileOwner?: string;
  /** Account X considers signed in, if any. */
  identity?: SimUser;
}

/** Resolves the `auth_token` cookie the way the scenario of the profile holding it says X should. */
export function resolveXSession(users: SimUsers, scenarios: Scenarios, authToken: string | undefined): XSession {
  const profileOwner = users.sessionOwnerOf(authToken);
  if (profileOwner === undefined) return {};
  const { scenario } = scenarios.of(profileOwner);
  if (scenario === 'logged_out') return { profileOwner };
  if (scenario === 'wrong_identity') return { profileOwner, identity: users.neighbourOf(profileOwner) };
  return { profileOwner, identity: users.user(profileOwner) };
}
