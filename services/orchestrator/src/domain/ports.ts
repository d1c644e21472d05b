import type { XApp } from '../config.js';
import type { XIdentity } from './identity.js';
import type { ProfileLink, TokenSet } from './model.js';

/** X's OAuth 2.0 and identity endpoints. */
export interface XOAuthPort {
  exchangeCode(app: XApp, p: { code: string; verifier: string; redirectUri: string }): Promise<TokenSet>;
  me(accessToken: string): Promise<XIdentity>;
  /**
   * Revokes one token; resolves only when X confirmed it (200 and not `revoked: false`), else throws
   * `REVOKE_FAILED` (or `X_UNAVAILABLE` / `X_RATE_LIMITED`, transient).
   */
  revoke(app: XApp, token: string, kind: 'access_token' | 'refresh_token'): Promise<void>;
  /**
   * Rotates the pair. Only a dead refresh token throws `REFRESH_TOKEN_INVALID` (not retryable); the
   * app's credentials refused throw `APP_CONFIG_INVALID`; a call sent without an answer throws
   * `REFRESH_OUTCOME_UNKNOWN`; anything else is transient.
   */
  refresh(app: XApp, refreshToken: string): Promise<TokenSet>;
}

/**
 * A listing of the profile directory. `complete` only when every page came whole and the count
 * matched the directory's own total: only a complete listing may delete what it does not name.
 */
export interface ProfileListing { links: ProfileLink[]; complete: boolean; problem?: string }

/** Where profiles and the X accounts they are signed in to are listed (GoLogin). */
export interface ProfileDirectoryPort {
  /** Throws when the first page cannot be read; a later page that fails ends the listing incomplete. */
  listProfiles(): Promise<ProfileListing>;
}
