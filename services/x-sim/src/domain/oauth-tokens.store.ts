import { randomBytes } from 'node:crypto';
import type { PkceMethod } from './pkce.rule.js';

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: PkceMethod;
  username: string;
  expiresAt: number;
}

export interface AccessGrant {
  token: string;
  clientId: string;
  username: string;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

export interface RefreshGrant {
  token: string;
  clientId: string;
  username: string;
  scopes: string[];
  accessToken: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  scopes: string[];
  expiresIn: number;
}

/** One revocation X honoured: whose token, which kind, for which client. */
export interface Revocation {
  username: string;
  clientId: string;
  kind: 'access_token' | 'refresh_token';
  at: number;
}

const opaque = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Authorization codes, access and refresh tokens: opaque random strings, all single-purpose. */
export class OAuthTokens {
  private readonly codes = new Map<string, AuthCode>();
  private readonly access = new Map<string, AccessGrant>();
  private readonly refresh = new Map<string, RefreshGrant>();
  /** Refresh tokens already rotated (spent), so a second use can be told apart from an unknown token. */
  private readonly rotated = new Set<string>();
  /** Every token revoked, in order (tests check that both of an account's tokens were). */
  readonly revocations: Revocation[] = [];
  /** Refreshes presented with a refresh token that had already been rotated: the same token spent twice. */
  doubleSpends = 0;
  /** Every code, access and refresh token ever issued, kept after use (tests scan xauth's outputs for them). */
  readonly issued: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  issueCode(fields: Omit<AuthCode, 'code' | 'expiresAt'>, lifetimeSec: number): string {
    const code = opaque(48);
    this.issued.push(code);
    this.codes.set(code, { ...fields, code, expiresAt: this.now() + lifetimeSec * 1000 });
    return code;
  }

  peekCode(code: string): AuthCode | undefined {
    return this.codes.get(code);
  }

  /** Uses the code up whether or not the exchange then succeeds. */
  takeCode(code: string): AuthCode | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    return found && found.expiresAt > this.now() ? found : undefined;
  }

  issue(clientId: string, username: string, scopes: string[], lifetimeSec: number): IssuedTokens {
    const issuedAt = this.now();
    const accessToken = opaque(48);
    this.issued.push(accessToken);
    this.access.set(accessToken, {
      token: accessToken,
      clientId,
      username,
      scopes,
      issuedAt,
      expiresAt: issuedAt + lifetimeSec * 1000,
      revoked: false,
    });
    if (!scopes.includes('offline.access')) return { accessToken, scopes, expiresIn: lifetimeSec };
    const refreshToken = opaque(48);
    this.issued.push(refreshToken);
    this.refresh.set(refreshToken, { token: refreshToken, clientId, username, scopes, accessToken });
    return { accessToken, refreshToken, scopes, expiresIn: lifetimeSec };
  }

  peekRefresh(token: string): RefreshGrant | undefined {
    return this.refresh.get(token);
  }

  /** Rotation: a refresh token works once. */
  takeRefresh(token: string): RefreshGrant | undefined {
    const found = this.refresh.get(token);
    this.refresh.delete(token);
    if (found) this.rotated.add(token);
    return found;
  }

  /** A refresh token no grant answers to was presented: counts a double spend when it had been rotated. */
  refreshRefused(token: string): void {
    if (this.rotated.has(token)) this.doubleSpends += 1;
  }

  peekAccess(token: string): AccessGrant | undefined {
    return this.access.get(token);
  }

  activeAccess(token: string): AccessGrant | undefined {
    const grant = this.access.get(token);
    return grant && !grant.revoked && grant.expiresAt > this.now() ? grant : undefined;
  }

  /** Revoking a refresh token also ends the access token issued with it. */
  revoke(token: string): void {
    const accessGrant = this.access.get(token);
    if (accessGrant) {
      accessGrant.revoked = true;
      this.revocations.push({ username: accessGrant.username, clientId: accessGrant.clientId, kind: 'access_token', at: this.now() });
    }
    const refreshGrant = this.refresh.get(token);
    if (refreshGrant) {
      this.revocations.push({ username: refreshGrant.username, clientId: refreshGrant.clientId, kind: 'refresh_token', at: this.now() });
      this.refresh.delete(token);
      const paired = this.access.get(refreshGrant.accessToken);
      if (paired) paired.revoked = true;
    }
  }

  /** Makes live access tokens expire as if they had been issued with the shorter lifetime. */
  shortenLifetimes(seconds: number, username?: string): void {
    for (const grant of this.access.values()) {
      if (username !== undefined && grant.username !== username) continue;
      grant.expiresAt = Math.min(grant.expiresAt, grant.issuedAt + seconds * 1000);
    }
  }
}
