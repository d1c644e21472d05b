import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALGORITHM, publicJwk, type PublicJwk } from './signing-key.rule.js';

/** Verified tokens remembered at most (see `ServiceTokens.verify`). */
const MAX_REMEMBERED_TOKENS = 10_000;

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Who a request acts for, with the scopes it may use. */
export interface Principal {
  clientId: string;
  scopes: string[];
  via: 'jwt' | 'api-key';
  /** The client's token version the JWT was issued under (claim `cv`; 0 when absent). */
  tokenVersion?: number;
}

/**
 * One key of the set: published (JWKS) and verifying from when it is loaded until `retiresAt`;
 * signing (when it holds the private key) from `activatesAt` on, the newest such key winning.
 * Times are epoch milliseconds, so every replica switches at the same moment, whenever it reloaded.
 */
export interface TokenKey {
  kid: string;
  publicKey: KeyObject;
  privateKey?: KeyObject;
  activatesAt: number;
  retiresAt: number | null;
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
  private keys: TokenKey[] = [];
  private verifying = new Map<string, TokenKey>();
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    private readonly settings: TokenSettings,
    keys: readonly TokenKey[],
    private readonly now: () => number = Date.now,
  ) {
    this.setKeys(keys);
  }

  /** A token set with one key that signs from now on and never retires (tests, a configured PEM). */
  static withKey(settings: TokenSettings, key: { kid: string; privateKey: KeyObject }, now: () => number = Date.now): ServiceTokens {
    return new ServiceTokens(settings, [{ ...key, publicKey: createPublicKey(key.privateKey), activatesAt: 0, retiresAt: null }], now);
  }

  /** Replaces the key set (a reload); newest activation first. */
  setKeys(keys: readonly TokenKey[]): void {
    if (!keys.some((k) => k.privateKey)) throw new Error('no key can sign');
    this.keys = [...keys].sort((a, b) => b.activatesAt - a.activatesAt);
    this.verifying = new Map(this.keys.map((k) => [k.kid, k]));
    // A reload may have retired a key: what was verified under the old set is checked again.
    this.verified.clear();
  }

  /** The key that signs now: the newest activated one holding its private key. */
  get activeKid(): string {
    return this.signer(Date.now()).kid;
  }

  private signer(now: number): TokenKey & { privateKey: KeyObject } {
    const ready = this.keys.filter((k): k is TokenKey & { privateKey: KeyObject } => k.privateKey !== undefined);
    // Before any key's activation (a clock behind the others), the oldest signs: never no key at all.
    return ready.find((k) => k.activatesAt <= now) ?? ready[ready.length - 1]!;
  }

  issue(clientId: string, scopes: readonly string[], tokenVersion = 0): IssuedToken {
    const signer = this.signer(Date.now());
    const token = jwt.sign({ scope: scopes.join(' '), cv: tokenVersion }, signer.privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: signer.kid,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      subject: clientId,
      expiresIn: this.settings.ttlSeconds,
      jwtid: randomUUID(),
    });
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /**
   * The principal of a valid token. A token verified once is remembered until its `exp` or its
   * key's retirement, whichever comes first (by its exact text, so only a token that passed every
   * check is ever found here; an expired one is checked again and refused): a client sends the same
   * JWT for its lifetime, and an ES256 signature check costs more than the rest of a token read.
   * Whether the client is still enabled is checked by the caller on every request, not here.
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
    const found = kid === undefined ? undefined : this.verifying.get(kid);
    const key = found && (found.retiresAt === null || found.retiresAt > this.now()) ? found.publicKey : undefined;
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
    const tokenVersion = typeof claims.cv === 'number' ? claims.cv : 0;
    const principal: Principal = Object.freeze({
      clientId: claims.sub,
      scopes: Object.freeze(claims.scope.split(' ').filter(Boolean)) as string[],
      via: 'jwt',
      tokenVersion,
    });
    return { principal, expiresAtMs: Math.min(claims.exp * 1000, found!.retiresAt ?? Number.POSITIVE_INFINITY) };
  }

  /** Every key that verifies now, the next one (published before it signs) included. */
  jwks(): { keys: PublicJwk[] } {
    const now = Date.now();
    return { keys: this.keys.filter((k) => k.retiresAt === null || k.retiresAt > now).map((k) => publicJwk(k.publicKey, k.kid)) };
  }
}
