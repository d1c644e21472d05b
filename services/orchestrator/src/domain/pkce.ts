import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: a 43-char verifier from 32 random bytes, and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier), method: 'S256' };
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** An unguessable `state` (X accepts up to 500 chars; this is 32). */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}

export function buildAuthorizeUrl(base: string, p: { clientId: string; redirectUri: string; scopes: string; state: string; challenge: string }): string {
  const url = new URL(base);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', p.scopes);
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}
