import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALGORITHM, publicJwk, type PublicJwk } from './signing-key.rule.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Verified tokens remembered at most (see `ServiceTokens.verify`). */
const MAX_REMEMBERED_TOKENS = 10_000;

/** Who a request acts for, with the scopes it may use. */
export interface Principal {
  clientId: string;
  scopes: string[];
  via: 'jwt' | 'api-key';
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** Why a bearer token is refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/**
 * Signs service JWTs with the active key and verifies them against every published key.
 * The algorithm is pinned: a token's own `alg` header never chooses how it is checked.
 */
export class ServiceTokens {
  private readonly verifying = new Map<string, KeyObject>();
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    private readonly settings: TokenSettings,
    private readonly active: { kid: string; privateKey: KeyObject },
    publishedKeys: ReadonlyArray<{ kid: string; publicKey: KeyObject }>,
    private readonly now: () => number = Date.now,
  ) {
    for (const k of publishedKeys) this.verifying.set(k.kid, k.publicKey);
    this.verifying.set(active.kid, createPublicKey(active.privateKey));
  }

  get activeKid(): string {
    return this.active.kid;
  }

  issue(clientId: string, scopes: readonly string[]): IssuedToken {
    const token = jwt.sign({ scope: scopes.join(' ') }, this.active.privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: this.active.kid,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      subject: clientId,
      expiresIn: this.settings.ttlSeconds,
      jwtid: randomUUID(),
    });
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /**
   * The principal of a valid token. A token verified once is remembered until its `exp` (by its
   * exact text, so only a token that passed every check is ever found here; an expired one is
   * checked again and refused): a client sends the same JWT for its lifetime, and an ES256
   * signature check costs more than the rest of a token read.
   */
  verify(token: string): Principal {
    const known = this.verified.get(token);
    if (known && this.now() < known.expiresAtMs) return known.principal;
    if (known) this.verified.delete(token);
    const { principal, expiresAtMs } = this.verifyFully(token);
    if (this.now() < expiresAtMs) this.remember(token, principal, expiresAtMs);
    return principal;
  }

  private remember(token: string, principal: Principal, expiresAtMs: number): void {
    this.verified.set(token, { principal, expiresAtMs });
    // Oldest first out: a burst of new tokens cannot grow the map past its bound.
    if (this.verified.size > MAX_REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
  }

  private verifyFully(token: string): { principal: Principal; expiresAtMs: number } {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const key = kid === undefined ? undefined : this.verifying.get(kid);
    if (!decoded || !key) throw new InvalidTokenError('token is malformed or signed by an unknown key');
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: 5,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new InvalidTokenError('token expired');
      throw new InvalidTokenError('token is invalid');
    }
    if (typeof claims === 'string' || typeof claims.sub !== 'string' || typeof claims.scope !== 'string' || claims.exp === undefined) {
      throw new InvalidTokenError('token lacks sub, scope or exp');
    }
    const principal: Principal = Object.freeze({ clientId: claims.sub, scopes: Object.freeze(claims.scope.split(' ').filter(Boolean)) as string[], via: 'jwt' });
    return { principal, expiresAtMs: claims.exp * 1000 };
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [...this.verifying].map(([kid, key]) => publicJwk(key, kid)) };
  }
}
