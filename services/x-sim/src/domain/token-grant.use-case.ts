import type { IssuedTokens, OAuthTokens } from './oauth-tokens.store.js';
import { pkceMatches } from './pkce.rule.js';
import type { Scenarios } from './scenarios.store.js';

export interface TokenGrantDeps {
  tokens: OAuthTokens;
  scenarios: Scenarios;
  lifetimeFor(username: string): number;
  onIssued(): void;
}

export type GrantParams = Partial<Record<'grant_type' | 'code' | 'redirect_uri' | 'code_verifier' | 'refresh_token', string>>;

export interface TokenResponse {
  token_type: 'bearer';
  expires_in: number;
  access_token: string;
  scope: string;
  refresh_token?: string;
}

export type GrantResult = { ok: true; body: TokenResponse } | { ok: false; status: number; body: object };

const oauthError = (error: string, description: string, status = 400): GrantResult => ({
  ok: false,
  status,
  body: { error, error_description: description },
});

const UNAVAILABLE: GrantResult = {
  ok: false,
  status: 503,
  body: { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: 503 },
};

/**
 * POST /2/oauth2/token for an already authenticated client. A bad code, verifier, redirect URI or
 * refresh token (used, revoked, unknown, expired) is answered as X does: 400 `invalid_request`
 * with X's own description, not RFC 6749's `invalid_grant`.
 */
export function grantTokens(deps: TokenGrantDeps, clientId: string, p: GrantParams): GrantResult {
  if (p.grant_type === 'authorization_code') return exchangeCode(deps, clientId, p);
  if (p.grant_type === 'refresh_token') return refresh(deps, clientId, p);
  if (!p.grant_type) return oauthError('invalid_request', 'Missing required parameter [grant_type].');
  return oauthError('unsupported_grant_type', `Grant type ${p.grant_type} is not supported.`);
}

function exchangeCode(deps: TokenGrantDeps, clientId: string, p: GrantParams): GrantResult {
  for (const name of ['code', 'redirect_uri', 'code_verifier'] as const) {
    if (!p[name]) return oauthError('invalid_request', `Missing required parameter [${name}].`);
  }
  const peeked = deps.tokens.peekCode(p.code!);
  // The flaky answer comes before the code is used up, so a retry can still succeed.
  if (peeked && isFlaky(deps, peeked.username)) return UNAVAILABLE;
  const code = deps.tokens.takeCode(p.code!);
  if (!code || code.clientId !== clientId) return oauthError('invalid_request', 'Value passed for the authorization code was invalid.');
  if (code.redirectUri !== p.redirect_uri) {
    return oauthError('invalid_request', 'Value passed for the redirect uri did not match the uri of the authorization code.');
  }
  if (!pkceMatches(p.code_verifier!, code.codeChallenge, code.codeChallengeMethod)) {
    return oauthError('invalid_request', 'Value passed for the code verifier did not match the code challenge.');
  }
  return issued(deps, code.username, code.scopes, clientId);
}

function refresh(deps: TokenGrantDeps, clientId: string, p: GrantParams): GrantResult {
  if (!p.refresh_token) return oauthError('invalid_request', 'Missing required parameter [refresh_token].');
  const peeked = deps.tokens.peekRefresh(p.refresh_token);
  if (peeked && isFlaky(deps, peeked.username)) return UNAVAILABLE;
  const grant = peeked?.clientId === clientId ? deps.tokens.takeRefresh(p.refresh_token) : undefined;
  if (!peeked) deps.tokens.refreshRefused(p.refresh_token);
  if (!grant) return oauthError('invalid_request', 'Value passed for the token was invalid.');
  return issued(deps, grant.username, grant.scopes, clientId);
}

function isFlaky(deps: TokenGrantDeps, username: string): boolean {
  return deps.scenarios.is(username, 'flaky_token') && deps.scenarios.takeFlakyToken(username);
}

function issued(deps: TokenGrantDeps, username: string, scopes: string[], clientId: string): GrantResult {
  const t: IssuedTokens = deps.tokens.issue(clientId, username, scopes, deps.lifetimeFor(username));
  deps.onIssued();
  const body: TokenResponse = { token_type: 'bearer', expires_in: t.expiresIn, access_token: t.accessToken, scope: t.scopes.join(' ') };
  if (t.refreshToken) body.refresh_token = t.refreshToken;
  return { ok: true, body };
}
