import { ErrorCodes } from '@xauth/contracts';
import { AppError, NeedsOperatorError, SpanKind, TransientError, callHttp, inSpan, requestMayHaveArrived, type OutboundResponse } from '@xauth/shared';
import type { XIdentity } from '../domain/identity.js';
import type { TokenSet, XApp } from '../domain/model.js';
import type { XOAuthPort } from '../domain/ports.js';

export interface XApiUrls {
  tokenUrl: string;
  revokeUrl: string;
  meUrl: string;
  timeoutMs: number;
}

const call = (url: string, timeoutMs: number, init: { method?: string; headers?: Record<string, string>; body?: URLSearchParams }) =>
  inSpan(
    `X ${init.method ?? 'GET'} ${new URL(url).pathname}`,
    { 'http.request.method': init.method ?? 'GET', 'server.address': new URL(url).host },
    () => callHttp(url, { ...init, timeoutMs, dependency: 'X', unavailableCode: ErrorCodes.X_UNAVAILABLE, rateLimitedCode: ErrorCodes.X_RATE_LIMITED }),
    { kind: SpanKind.CLIENT },
  );

function clientAuth(app: XApp, form: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (app.clientSecret)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64')}`;
  else form.set('client_id', app.clientId);
  return headers;
}

function oauthError(body: unknown): string {
  const b = body as { error?: unknown; error_description?: unknown } | undefined;
  return typeof b?.error === 'string' ? `${b.error}${typeof b.error_description === 'string' ? `: ${b.error_description}` : ''}` : 'unexpected response';
}

const oauthErrorCode = (res: OutboundResponse): unknown => (res.body as { error?: unknown } | undefined)?.error;

/** 401, `invalid_client`, `unauthorized_client`: the app's credentials, not the token, are wrong. */
function rejectAppCredentials(res: OutboundResponse): void {
  const error = oauthErrorCode(res);
  if (res.status === 401 || error === 'unauthorized_client' || error === 'invalid_client') {
    throw new NeedsOperatorError({ code: ErrorCodes.APP_CONFIG_INVALID, message: `X rejected the app's credentials (${oauthError(res.body)})` });
  }
}

/**
 * X's word that the refresh token is invalid: 400 `invalid_request` ("Value passed for the token
 * was invalid.") or RFC 6749's `invalid_grant`. A request X calls malformed (a missing parameter, a
 * wrong content type) is our bug, not the token's.
 */
function refreshTokenRefused(res: OutboundResponse): boolean {
  const error = oauthErrorCode(res);
  if (res.status !== 400) return false;
  if (error === 'invalid_grant') return true;
  const description = (res.body as { error_description?: unknown }).error_description;
  return error === 'invalid_request' && !(typeof description === 'string' && /missing required parameter|content-type/i.test(description));
}

function tokenSet(res: OutboundResponse): TokenSet {
  const b = res.body as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown; scope?: unknown };
  if (typeof b?.access_token !== 'string' || typeof b.expires_in !== 'number') {
    throw new TransientError({ code: ErrorCodes.X_UNAVAILABLE, message: 'X token response lacked access_token or expires_in' });
  }
  return {
    accessToken: b.access_token,
    refreshToken: typeof b.refresh_token === 'string' ? b.refresh_token : undefined,
    expiresIn: b.expires_in,
    scope: typeof b.scope === 'string' ? b.scope : '',
  };
}

/** X's token, revoke and /2/users/me endpoints over HTTP. */
export class XApiClient implements XOAuthPort {
  constructor(private readonly urls: XApiUrls) {}

  exchangeCode(app: XApp, p: { code: string; verifier: string; redirectUri: string }): Promise<TokenSet> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.verifier });
    return this.tokenRequest(app, form, ErrorCodes.TOKEN_EXCHANGE_FAILED, 'the code exchange');
  }

  /**
   * Only X's word that the refresh token is invalid throws `REFRESH_TOKEN_INVALID`; the app's
   * credentials refused throw `APP_CONFIG_INVALID`; a call that may have reached X without an
   * answer throws `REFRESH_OUTCOME_UNKNOWN` (X may have rotated the token); anything else is
   * transient (`X_UNAVAILABLE`, `X_RATE_LIMITED`, `X_REFUSED`).
   */
  async refresh(app: XApp, refreshToken: string): Promise<TokenSet> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const headers = clientAuth(app, form);
    let res: OutboundResponse;
    try {
      res = await call(this.urls.tokenUrl, this.urls.timeoutMs, { method: 'POST', headers, body: form });
    } catch (err) {
      if (!requestMayHaveArrived(err)) throw err;
      throw new TransientError({
        code: ErrorCodes.REFRESH_OUTCOME_UNKNOWN,
        message: `the refresh was sent but X's answer never came (${(err as Error).message})`,
      });
    }
    rejectAppCredentials(res);
    if (refreshTokenRefused(res))
      throw new NeedsOperatorError({ code: ErrorCodes.REFRESH_TOKEN_INVALID, message: `X refused the refresh token: ${oauthError(res.body)}` });
    if (res.status !== 200) throw new TransientError({ code: ErrorCodes.X_REFUSED, message: `X refused the refresh: ${res.status} ${oauthError(res.body)}` });
    return tokenSet(res);
  }

  private async tokenRequest(app: XApp, form: URLSearchParams, refusedCode: string, what: string): Promise<TokenSet> {
    const headers = clientAuth(app, form);
    const res = await call(this.urls.tokenUrl, this.urls.timeoutMs, { method: 'POST', headers, body: form });
    rejectAppCredentials(res);
    if (res.status !== 200) throw new NeedsOperatorError({ code: refusedCode, message: `X refused ${what}: ${res.status} ${oauthError(res.body)}` });
    return tokenSet(res);
  }

  async me(accessToken: string): Promise<XIdentity> {
    const res = await call(this.urls.meUrl, this.urls.timeoutMs, { headers: { authorization: `Bearer ${accessToken}` } });
    const data = (res.body as { data?: { id?: unknown; username?: unknown; name?: unknown } })?.data;
    if (res.status !== 200 || typeof data?.id !== 'string' || typeof data.username !== 'string') {
      throw new AppError({ code: ErrorCodes.TOKEN_EXCHANGE_FAILED, message: `X /2/users/me answered ${res.status}`, retryable: res.status !== 401 });
    }
    return { id: data.id, username: data.username, name: typeof data.name === 'string' ? data.name : undefined };
  }

  /** RFC 7009 with X's answer checked: only a 200 that does not say `revoked: false` counts as revoked. */
  async revoke(app: XApp, token: string, kind: 'access_token' | 'refresh_token'): Promise<void> {
    const form = new URLSearchParams({ token, token_type_hint: kind });
    const headers = clientAuth(app, form);
    const res = await call(this.urls.revokeUrl, this.urls.timeoutMs, { method: 'POST', headers, body: form });
    rejectAppCredentials(res);
    const revoked = (res.body as { revoked?: unknown } | undefined)?.revoked;
    if (res.status !== 200 || revoked === false) {
      throw new AppError({
        code: ErrorCodes.REVOKE_FAILED,
        message: `X did not confirm revoking the ${kind.replace('_', ' ')}: ${res.status} ${oauthError(res.body)}`,
        retryable: res.status >= 500,
        httpStatus: 502,
      });
    }
  }
}
