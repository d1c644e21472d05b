import type { SimApp } from './sim-app.js';
import type { PkceMethod } from './pkce.rule.js';
import { parseScopes } from './scopes.rule.js';

export interface AuthorizeRequest {
  app: SimApp;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
  codeChallengeMethod: PkceMethod;
}

export type AuthorizeValidation = { ok: true; request: AuthorizeRequest } | { ok: false; reason: string };

const MAX_STATE_LENGTH = 500;

/** The checks X makes before it shows consent; any failure shows its generic error page. */
export function validateAuthorizeRequest(query: Record<string, unknown>, apps: SimApp[]): AuthorizeValidation {
  const p = (name: string): string | undefined => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const fail = (reason: string): AuthorizeValidation => ({ ok: false, reason });

  const app = apps.find((a) => a.clientId === p('client_id'));
  if (!app) return fail('unknown client_id');
  const redirectUri = p('redirect_uri');
  // Exact string match, as X does: a trailing slash or different case is another URI.
  if (redirectUri === undefined || !app.redirectUris.includes(redirectUri)) return fail('redirect_uri not registered');
  if (p('response_type') !== 'code') return fail('response_type must be code');
  const scopes = parseScopes(p('scope') ?? '');
  if (!scopes) return fail('invalid scope');
  const state = p('state');
  if (!state) return fail('missing state');
  if (state.length > MAX_STATE_LENGTH) return fail('state too long');
  const codeChallenge = p('code_challenge');
  if (!codeChallenge) return fail('missing code_challenge');
  const method = p('code_challenge_method');
  if (method !== 'S256' && method !== 'plain') return fail('invalid code_challenge_method');
  return { ok: true, request: { app, redirectUri, scopes, state, codeChallenge, codeChallengeMethod: method } };
}
