import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_APP, type SimApp, type XSim } from '../../src/index.js';

export const GOLOGIN_AUTH = { authorization: 'Bearer xsim-gologin-token' };
export const REDIRECT_URI = DEFAULT_APP.redirectUris[0];

export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256' | 'plain';
}

export function pkce(method: 'S256' | 'plain' = 'S256'): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return { verifier, challenge, method };
}

export function basicAuth(app: SimApp = DEFAULT_APP): Record<string, string> {
  return { authorization: 'Basic ' + Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64') };
}

export function authorizeUrl(sim: XSim, overrides: Record<string, string | undefined> = {}, p: Pkce = pkce()): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: DEFAULT_APP.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'tweet.read users.read offline.access',
    state: 'state-' + randomBytes(6).toString('hex'),
    code_challenge: p.challenge,
    code_challenge_method: p.method,
    ...overrides,
  };
  const url = new URL('/i/oauth2/authorize', sim.url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

export function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Cookies a signed-in profile's browser would send once past Cloudflare, obtained over plain HTTP. */
export async function browserCookies(sim: XSim, username: string): Promise<string> {
  const session = `auth_token=${sim.state.profileOf(username)!.sessionToken}`;
  const res = await fetch(new URL('/cdn-cgi/challenge-platform/clear', sim.url), { method: 'POST', headers: { cookie: session } });
  const clearance = /cf_clearance=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  return clearance ? `${session}; cf_clearance=${clearance}` : session;
}

export async function getPage(url: string, cookie?: string): Promise<{ status: number; body: string; location: string | null }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, body: await res.text(), location: res.headers.get('location') };
}

/** Walks authorize and consent over HTTP as a signed-in browser would; returns the redirect. */
export async function consentOverHttp(sim: XSim, username: string, url: string, approval = 'allow'): Promise<URL> {
  const cookie = await browserCookies(sim, username);
  const page = await getPage(url, cookie);
  const consentId = /name="consent_id" value="([^"]+)"/.exec(page.body)?.[1];
  if (!consentId) throw new Error(`no consent page (${page.status}): ${page.body.slice(0, 300)}`);
  const res = await postForm(new URL('/i/oauth2/authorize/consent', sim.url).toString(), { consent_id: consentId, approval }, { cookie });
  return new URL(res.headers.get('location')!);
}

export async function codeFor(sim: XSim, username: string, p: Pkce = pkce(), scope?: string): Promise<string> {
  const redirect = await consentOverHttp(sim, username, authorizeUrl(sim, scope ? { scope } : {}, p));
  return redirect.searchParams.get('code')!;
}

export function exchangeCode(sim: XSim, code: string, verifier: string, extra: Record<string, string> = {}): Promise<Response> {
  return postForm(
    new URL('/2/oauth2/token', sim.url).toString(),
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, ...extra },
    basicAuth(),
  );
}

export function usersMe(sim: XSim, accessToken: string): Promise<Response> {
  return fetch(new URL('/2/users/me', sim.url), { headers: { authorization: `Bearer ${accessToken}` } });
}
