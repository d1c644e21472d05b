import type { XApp } from '../config.js';
import type { XIdentity } from './identity.js';
import type { ProfileLink, TokenSet } from './model.js';

/** X's OAuth 2.0 and identity endpoints. */
export interface XOAuthPort {
  exchangeCode(app: XApp, p: { code: string; verifier: string; redirectUri: string }): Promise<TokenSet>;
  me(accessToken: string): Promise<XIdentity>;
  revoke(app: XApp, token: string): Promise<void>;
  /**
   * Rotates the pair. Only a dead refresh token throws `REFRESH_TOKEN_INVALID` (not retryable); the
   * app's credentials refused throw `APP_CONFIG_INVALID`; a call sent without an answer throws
   * `REFRESH_OUTCOME_UNKNOWN`; anything else is transient.
   */
  refresh(app: XApp, refreshToken: string): Promise<TokenSet>;
}

/** Where profiles and the X accounts they are signed in to are listed (GoLogin). */
export interface ProfileDirectoryPort {
  listProfiles(): Promise<ProfileLink[]>;
}
